//! Posting: `user` messages need the owner or editor role, `assistant`, `system` and `tool`
//! messages the ADMIN role; archived threads take none; replies stay in their thread.

use super::*;
use crate::test_fixtures::{assert_invalid, assert_refused, new_message, Refusal};

fn archived(mut thread: Thread) -> Thread {
    thread.status = ThreadStatus::Archived;
    thread
}

/// What the repository would return for `new`.
fn stored(new: &NewMessage) -> Message {
    Message {
        id: new.id.clone(),
        thread_id: new.thread_id.clone(),
        author_id: new.author_id.clone(),
        role: new.fields.role,
        content: new.fields.content.clone(),
        blocks: new.fields.blocks.clone(),
        metadata: new.fields.metadata.clone(),
        parent_id: new.fields.parent_id.clone(),
        status: new.fields.status,
        attachments: new.attachments.clone(),
        reaction_counts: BTreeMap::new(),
        edited_at: None,
        created_at: new.created_at,
        updated_at: new.created_at,
    }
}

/// A new message with `role` (as the API spells it) saying hi.
fn post(role: &str) -> CreateMessage {
    new_message(MessageRole::parse(role).unwrap())
}

fn reply_to(parent: &MessageId) -> CreateMessage {
    CreateMessage {
        parent_id: Some(parent.clone()),
        ..post("user")
    }
}

#[tokio::test]
async fn an_editor_posts_a_user_message_and_records_message_created() {
    let (caller, thread) = (principal(Role::User), thread());
    let mut messages = MockMessageRepository::new();
    let (thread_id, me) = (thread.id.clone(), caller.user.id.clone());
    messages
        .expect_insert()
        .withf(move |new: &NewMessage, event: &NewEvent| {
            new.thread_id == thread_id
                && new.author_id == me
                && new.fields.role == MessageRole::User
                && records(event, EventKind::MessageCreated, &thread_id, &me)
                && event.payload["message_id"] == new.id.as_str()
                && event.payload["role"] == "user"
        })
        .times(1)
        .returning(|new, _| Ok(stored(new)));

    let posted = as_editor(&caller, &thread, messages)
        .create(&caller, &thread.id, post("user"))
        .await
        .unwrap();

    assert_eq!(posted.author_id, caller.user.id);
    assert_eq!(posted.thread_id, thread.id);
}

#[tokio::test]
async fn an_admin_who_is_not_a_member_posts_as_assistant_system_or_tool() {
    for role in ["assistant", "system", "tool"] {
        let (caller, thread) = (principal(Role::Admin), thread());
        let mut messages = MockMessageRepository::new();
        let me = caller.user.id.clone();
        messages
            .expect_insert()
            .withf(move |new: &NewMessage, event: &NewEvent| {
                new.fields.role.as_str() == role
                    && new.author_id == me
                    && event.kind == EventKind::MessageCreated
                    && event.payload["role"] == role
            })
            .times(1)
            .returning(|new, _| Ok(stored(new)));

        let posted = service(where_caller_is(&caller, &thread, None), messages)
            .create(&caller, &thread.id, post(role))
            .await
            .unwrap();

        assert_eq!(posted.role.as_str(), role);
    }
}

#[tokio::test]
async fn a_reply_to_a_message_of_another_thread_is_refused_on_parent_id() {
    let caller = principal(Role::User);
    let elsewhere = message(&thread(), &caller.user.id);
    let thread = thread();
    let mut messages = holding(&elsewhere);
    messages.expect_insert().never();

    assert_invalid(
        as_editor(&caller, &thread, messages)
            .create(&caller, &thread.id, reply_to(&elsewhere.id))
            .await,
        "parent_id",
    );
}

#[tokio::test]
async fn a_reply_to_a_missing_message_is_refused_on_parent_id() {
    let (caller, thread) = (principal(Role::User), thread());
    let mut messages = MockMessageRepository::new();
    messages.expect_find().returning(|_| Ok(None));
    messages.expect_insert().never();

    assert_invalid(
        as_editor(&caller, &thread, messages)
            .create(&caller, &thread.id, reply_to(&MessageId::generate()))
            .await,
        "parent_id",
    );
}

#[tokio::test]
async fn a_reply_to_a_message_of_the_same_thread_is_posted() {
    let (caller, thread) = (principal(Role::User), thread());
    let parent = message(&thread, &thread.owner_id);
    let mut messages = holding(&parent);
    let parent_id = parent.id.clone();
    messages
        .expect_insert()
        .withf(move |new: &NewMessage, _| new.fields.parent_id.as_ref() == Some(&parent_id))
        .times(1)
        .returning(|new, _| Ok(stored(new)));

    let posted = as_editor(&caller, &thread, messages)
        .create(&caller, &thread.id, reply_to(&parent.id))
        .await
        .unwrap();

    assert_eq!(posted.parent_id, Some(parent.id));
}

#[tokio::test]
async fn refused_posts_write_nothing() {
    use MemberRole::{Owner, Viewer};
    use Refusal::{Conflict, Forbidden};
    let cases = [
        (
            "a viewer",
            Role::User,
            Some(Viewer),
            thread(),
            "user",
            Forbidden,
        ),
        (
            "an owner as assistant",
            Role::User,
            Some(Owner),
            thread(),
            "assistant",
            Forbidden,
        ),
        (
            "an owner as system",
            Role::User,
            Some(Owner),
            thread(),
            "system",
            Forbidden,
        ),
        (
            "an owner as tool",
            Role::User,
            Some(Owner),
            thread(),
            "tool",
            Forbidden,
        ),
        (
            "an owner, archived",
            Role::User,
            Some(Owner),
            archived(thread()),
            "user",
            Conflict,
        ),
        (
            "an admin, archived",
            Role::Admin,
            None,
            archived(thread()),
            "assistant",
            Conflict,
        ),
    ];
    for (case, caller_role, role, thread, as_role, refusal) in cases {
        let caller = principal(caller_role);
        let stored = message(&thread, &thread.owner_id);
        let threads = where_caller_is(&caller, &thread, role);

        let service = service(threads, read_only(None));
        let result = attempt(&service, &caller, &stored, Attempt::Post(post(as_role))).await;

        assert_refused(case, result, refusal);
    }
}
