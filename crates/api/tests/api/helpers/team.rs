//! The one fixture most access rules are tested against: a thread with members.

use reqwest::StatusCode;
use serde_json::{json, Value};

use super::{data_of, id_of, roles, Account, TestApp};

/// Everyone a thread's access rules talk about, and the thread: owned by `owner` (a plain
/// user), with `editor` and `viewer` as members; `admin` (the first account, an ADMIN) and
/// `outsider` are not members.
pub struct Team {
    pub admin: Account,
    pub owner: Account,
    pub editor: Account,
    pub viewer: Account,
    pub outsider: Account,
    pub thread: String,
}

impl TestApp {
    /// Registers the `Team` and creates its thread, "Quarterly planning".
    pub async fn team(&self) -> Team {
        let admin = self.register("admin@rpotential.ai").await;
        let owner = self.register("owner@rpotential.ai").await;
        let editor = self.register("editor@rpotential.ai").await;
        let viewer = self.register("viewer@globant.com").await;
        let outsider = self.register("outsider@rpotential.ai").await;
        let thread = id_of(
            &self
                .create_thread(&owner.access_token, "Quarterly planning")
                .await,
        );
        let token = &owner.access_token;
        self.add_member(token, &thread, &editor.id, "editor").await;
        self.add_member(token, &thread, &viewer.id, "viewer").await;
        Team {
            admin,
            owner,
            editor,
            viewer,
            outsider,
            thread,
        }
    }
}

impl Team {
    pub fn path(&self) -> String {
        format!("/api/v1/threads/{}", self.thread)
    }

    pub fn members_path(&self) -> String {
        format!("/api/v1/threads/{}/members", self.thread)
    }

    pub fn member_path(&self, user_id: &str) -> String {
        format!("/api/v1/threads/{}/members/{user_id}", self.thread)
    }

    /// The members as the fixture made them: `(user_id, role)`, sorted.
    pub fn roles_as_made(&self) -> Vec<(String, String)> {
        roles(&[
            (&self.owner.id, "owner"),
            (&self.editor.id, "editor"),
            (&self.viewer.id, "viewer"),
        ])
    }

    /// The members now, as the owner sees them: `(user_id, role)`, sorted.
    pub async fn roles_now(&self, app: &TestApp) -> Vec<(String, String)> {
        app.members(&self.owner.access_token, &self.thread).await
    }

    /// Gives `member` the `role` as the owner, and returns the changed member's `data`
    /// after checking the 200.
    pub async fn set_role(&self, app: &TestApp, member: &Account, role: &str) -> Value {
        let path = self.member_path(&member.id);
        let body = json!({ "role": role });
        let response = app.patch(&path, Some(&self.owner.access_token), body).await;
        data_of(response, StatusCode::OK).await
    }
}
