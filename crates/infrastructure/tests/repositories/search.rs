//! `SeaSearchRepository` against the `SearchRepository` contract: FTS5 on SQLite,
//! `tsvector` on PostgreSQL, the same answers from both.

use std::collections::HashSet;

use domain::{
    id::{MessageId, ThreadId, UserId},
    json_object::Metadata,
    message::{Blocks, MessageChanges, MessageContent, MessageRole},
    pagination::Limit,
    search::{MessageHit, SearchRepository, SearchRequest, SearchScope, SearchText},
    thread::MemberRole,
    time,
};
use infrastructure::repositories::SeaSearchRepository;
use serde_json::json;

use crate::support::new_message;

fn request(text: &str, scope: SearchScope) -> SearchRequest {
    SearchRequest {
        text: SearchText::parse(text).unwrap(),
        scope,
        thread_id: None,
        limit: Limit::parse(Some(20)).unwrap(),
        offset: 0,
    }
}

async fn hits(search: &SeaSearchRepository, request: &SearchRequest) -> Vec<MessageHit> {
    search.search_messages(request).await.unwrap()
}

/// The ids of the hits, as a set: ranking is the engine's business.
async fn found(search: &SeaSearchRepository, request: &SearchRequest) -> HashSet<MessageId> {
    hits(search, request)
        .await
        .into_iter()
        .map(|hit| hit.message_id)
        .collect()
}

fn set<'a>(ids: impl IntoIterator<Item = &'a MessageId>) -> HashSet<MessageId> {
    ids.into_iter().cloned().collect()
}

fn member_of(user: &UserId) -> SearchScope {
    SearchScope::MemberOf(user.clone())
}

repo_test!(search_finds_the_messages_containing_every_term, |f| {
    let [ada, bob] = f.users_called(["Ada", "Bob"]).await;
    let thread = f.thread(&ada.id, "Ops").await;
    let both = new_message(&thread.id, &bob.id, "Deploy the plan tomorrow", time::now());
    f.insert_message(&both).await;
    let reversed = f
        .post(&thread.id, &ada.id, "our PLAN: deploy, then rest")
        .await;
    let plan_only = f.post(&thread.id, &ada.id, "the plan is ready").await;
    let deploy_only = f.post(&thread.id, &ada.id, "deploy now").await;
    // No stemming: neither word is in here.
    f.post(&thread.id, &ada.id, "Planning deployments").await;

    let scope = member_of(&ada.id);
    assert_eq!(
        found(&f.search, &request("deploy plan", scope.clone())).await,
        set([&both.id, &reversed])
    );
    assert_eq!(
        found(&f.search, &request("PLAN", scope.clone())).await,
        set([&both.id, &reversed, &plan_only])
    );
    assert_eq!(
        found(&f.search, &request("Deploy", scope.clone())).await,
        set([&both.id, &reversed, &deploy_only])
    );
    assert!(
        found(&f.search, &request("deploy plan holiday", scope.clone()))
            .await
            .is_empty()
    );
    assert!(found(&f.search, &request("nothing", scope.clone()))
        .await
        .is_empty());

    let hit = hits(&f.search, &request("tomorrow", scope))
        .await
        .pop()
        .unwrap();
    assert_eq!(hit.message_id, both.id);
    assert_eq!(hit.thread_id, thread.id);
    assert_eq!(hit.author_id, bob.id);
    assert_eq!(hit.role, MessageRole::User);
    assert_eq!(hit.created_at, both.created_at);
    assert!(
        hit.snippet.as_str().contains("<mark>tomorrow</mark>"),
        "{:?}",
        hit.snippet
    );
});

repo_test!(
    member_of_scope_finds_only_the_users_threads_and_everything_finds_all,
    |f| {
        let [ada, bob, eve] = f.users_called(["Ada", "Bob", "Eve"]).await;
        let adas = f.thread(&ada.id, "Ada's").await;
        let bobs = f.thread(&bob.id, "Bob's").await;
        let in_adas = f.post(&adas.id, &ada.id, "the secret roadmap").await;
        let in_bobs = f.post(&bobs.id, &bob.id, "the secret budget").await;

        assert_eq!(
            found(&f.search, &request("secret", member_of(&ada.id))).await,
            set([&in_adas])
        );
        assert_eq!(
            found(&f.search, &request("secret", member_of(&bob.id))).await,
            set([&in_bobs])
        );
        assert!(found(&f.search, &request("secret", member_of(&eve.id)))
            .await
            .is_empty());
        // Authorship is no access: Ada's words in Bob's thread stay his.
        let adas_words = f.post(&bobs.id, &ada.id, "a secret from Ada").await;
        assert_eq!(
            found(&f.search, &request("secret", member_of(&ada.id))).await,
            set([&in_adas])
        );
        assert_eq!(
            found(&f.search, &request("secret", SearchScope::Everything)).await,
            set([&in_adas, &in_bobs, &adas_words])
        );

        f.add_member(&bobs.id, &ada.id, MemberRole::Viewer, &bob.id)
            .await;
        assert_eq!(
            found(&f.search, &request("secret", member_of(&ada.id))).await,
            set([&in_adas, &in_bobs, &adas_words])
        );
        f.remove_member(&bobs.id, &ada.id, &ada.id).await.unwrap();
        assert_eq!(
            found(&f.search, &request("secret", member_of(&ada.id))).await,
            set([&in_adas])
        );
    }
);

repo_test!(a_thread_filter_limits_the_hits_to_that_thread, |f| {
    let [ada, bob] = f.users_called(["Ada", "Bob"]).await;
    let monday = f.thread(&ada.id, "Monday").await;
    let tuesday = f.thread(&ada.id, "Tuesday").await;
    let bobs = f.thread(&bob.id, "Bob's").await;
    let on_monday = f.post(&monday.id, &ada.id, "standup notes").await;
    let on_tuesday = f.post(&tuesday.id, &ada.id, "more standup notes").await;
    let in_bobs = f.post(&bobs.id, &bob.id, "Bob's standup notes").await;

    let in_thread = |thread: &ThreadId, scope: SearchScope| SearchRequest {
        thread_id: Some(thread.clone()),
        ..request("standup notes", scope)
    };
    assert_eq!(
        found(&f.search, &in_thread(&monday.id, member_of(&ada.id))).await,
        set([&on_monday])
    );
    assert_eq!(
        found(&f.search, &in_thread(&tuesday.id, member_of(&ada.id))).await,
        set([&on_tuesday])
    );
    assert_eq!(
        found(&f.search, &in_thread(&bobs.id, SearchScope::Everything)).await,
        set([&in_bobs])
    );
    // The thread filter does not widen the scope.
    assert!(found(&f.search, &in_thread(&bobs.id, member_of(&ada.id)))
        .await
        .is_empty());
    assert!(found(
        &f.search,
        &in_thread(&ThreadId::generate(), SearchScope::Everything)
    )
    .await
    .is_empty());
});

repo_test!(snippets_mark_the_match_and_escape_the_message_html, |f| {
    let ada = f.user("Ada").await;
    let thread = f.thread(&ada.id, "Markup").await;
    f.post(
        &thread.id,
        &ada.id,
        "deploy <b>&</b> <script>alert(1)</script>",
    )
    .await;

    let hit = hits(&f.search, &request("deploy", member_of(&ada.id)))
        .await
        .pop()
        .unwrap();
    let snippet = hit.snippet.as_str();

    assert!(snippet.contains("<mark>deploy</mark>"), "{snippet}");
    assert!(
        snippet.contains(" &lt;b&gt;&amp;&lt;/b&gt; &lt;script"),
        "{snippet}"
    );
    assert!(!snippet.contains("<b>"), "{snippet}");
    assert!(!snippet.contains("<script>"), "{snippet}");
    let without_marks = snippet.replace("<mark>", "").replace("</mark>", "");
    assert!(!without_marks.contains('<'), "{snippet}");
});

repo_test!(edited_content_is_reindexed, |f| {
    let ada = f.user("Ada").await;
    let thread = f.thread(&ada.id, "Edits").await;
    let id = f.post(&thread.id, &ada.id, "alpha version").await;
    let scope = member_of(&ada.id);
    assert_eq!(
        found(&f.search, &request("alpha", scope.clone())).await,
        set([&id])
    );
    let changes = MessageChanges {
        content: Some(Some(MessageContent::parse("omega version").unwrap())),
        ..MessageChanges::default()
    };

    f.edit(&id, &changes, &ada.id).await;

    assert!(found(&f.search, &request("alpha", scope.clone()))
        .await
        .is_empty());
    assert_eq!(
        found(&f.search, &request("omega", scope.clone())).await,
        set([&id])
    );
    assert_eq!(
        found(&f.search, &request("version", scope.clone())).await,
        set([&id])
    );
    let hit = hits(&f.search, &request("omega", scope.clone()))
        .await
        .pop()
        .unwrap();
    assert!(
        hit.snippet.as_str().contains("<mark>omega</mark>"),
        "{:?}",
        hit.snippet
    );

    // Removing the text removes it from the index too.
    let changes = MessageChanges {
        content: Some(None),
        blocks: Some(Blocks::parse(json!([{"type": "divider"}])).unwrap()),
        ..MessageChanges::default()
    };
    f.edit(&id, &changes, &ada.id).await;
    assert!(found(&f.search, &request("omega", scope.clone()))
        .await
        .is_empty());
    // A metadata-only edit keeps the message findable.
    let kept = f.post(&thread.id, &ada.id, "stable words").await;
    let changes = MessageChanges {
        metadata: Some(Metadata::parse(json!({"k": 1})).unwrap()),
        ..MessageChanges::default()
    };
    f.edit(&kept, &changes, &ada.id).await;
    assert_eq!(
        found(&f.search, &request("stable", scope)).await,
        set([&kept])
    );
});

repo_test!(deleted_messages_and_threads_are_no_longer_found, |f| {
    let ada = f.user("Ada").await;
    let thread = f.thread(&ada.id, "Ephemeral").await;
    let other = f.thread(&ada.id, "Other").await;
    let doomed = f.post(&thread.id, &ada.id, "ephemeral words").await;
    let sibling = f.post(&thread.id, &ada.id, "ephemeral too").await;
    let elsewhere = f.post(&other.id, &ada.id, "ephemeral elsewhere").await;
    let everything = request("ephemeral", SearchScope::Everything);
    assert_eq!(
        found(&f.search, &everything).await,
        set([&doomed, &sibling, &elsewhere])
    );

    f.delete_message(&doomed, &thread.id, None, &ada.id)
        .await
        .unwrap();
    assert_eq!(
        found(&f.search, &everything).await,
        set([&sibling, &elsewhere])
    );
    assert!(found(&f.search, &request("words", SearchScope::Everything))
        .await
        .is_empty());

    f.delete_thread(&thread.id, None, &ada.id).await.unwrap();
    assert_eq!(found(&f.search, &everything).await, set([&elsewhere]));
    assert_eq!(
        found(&f.search, &request("ephemeral", member_of(&ada.id))).await,
        set([&elsewhere])
    );
});

repo_test!(
    query_syntax_in_the_search_text_is_searched_as_plain_words,
    |f| {
        let ada = f.user("Ada").await;
        let thread = f.thread(&ada.id, "Hostile").await;
        let matching = f
            .post(&thread.id, &ada.id, "x marks the spot, near or far")
            .await;
        f.post(&thread.id, &ada.id, "near the spot").await;

        for hostile in [
            "\"NEAR( * OR -x",
            "x AND near OR or",
            "near* ^or x:",
            "content:x near or",
            "'x' 'near' 'or' \\",
            "(x) {near} [or] NOT",
        ] {
            let text = SearchText::parse(hostile).unwrap();
            let result = f
                .search
                .search_messages(&SearchRequest {
                    text,
                    scope: member_of(&ada.id),
                    thread_id: None,
                    limit: Limit::parse(Some(20)).unwrap(),
                    offset: 0,
                })
                .await;
            let ids: HashSet<MessageId> = match result {
                Ok(hits) => hits.into_iter().map(|hit| hit.message_id).collect(),
                Err(err) => panic!("{hostile:?} failed: {err:?}"),
            };
            if hostile.contains("NOT") || hostile.contains("AND") || hostile.contains("content") {
                // Words that are in no message: nothing matches, and nothing fails.
                assert!(ids.is_empty(), "{hostile:?}: {ids:?}");
            } else {
                assert_eq!(ids, set([&matching]), "{hostile:?}");
            }
        }
    }
);

repo_test!(search_overfetches_one_hit_and_pages_by_offset, |f| {
    let ada = f.user("Ada").await;
    let thread = f.thread(&ada.id, "Reports").await;
    let mut posted = HashSet::new();
    for i in 0..5 {
        let filler = "and so on ".repeat(i);
        let id = f
            .post(&thread.id, &ada.id, &format!("weekly report {i} {filler}"))
            .await;
        posted.insert(id);
    }
    f.post(&thread.id, &ada.id, "unrelated").await;
    let page = |offset: u64, limit: i64| SearchRequest {
        limit: Limit::parse(Some(limit)).unwrap(),
        offset,
        ..request("report", member_of(&ada.id))
    };

    let all: Vec<MessageId> = hits(&f.search, &page(0, 20))
        .await
        .into_iter()
        .map(|hit| hit.message_id)
        .collect();
    assert_eq!(all.len(), 5);
    assert_eq!(all.iter().cloned().collect::<HashSet<_>>(), posted);

    let first = hits(&f.search, &page(0, 2)).await;
    let second = hits(&f.search, &page(2, 2)).await;
    let third = hits(&f.search, &page(4, 2)).await;
    assert_eq!(
        (first.len(), second.len(), third.len()),
        (3, 3, 1),
        "limit + 1 hits while more exist"
    );
    assert!(hits(&f.search, &page(5, 2)).await.is_empty());
    let paged: Vec<MessageId> = first
        .into_iter()
        .take(2)
        .chain(second.into_iter().take(2))
        .chain(third)
        .map(|hit| hit.message_id)
        .collect();
    assert_eq!(paged, all);
    let exact = hits(&f.search, &page(0, 5)).await;
    assert_eq!(exact.len(), 5);
});

repo_test!(
    words_inside_addresses_paths_numbers_and_markup_are_found_like_any_word,
    |f| {
        let ada = f.user("Ada").await;
        let thread = f.thread(&ada.id, "Words").await;
        let id = f
            .post(
                &thread.id,
                &ada.id,
                "mail ada@example.com or read https://docs.example.org/guide, \
             load /usr/lib/libfoo.so from v3.14 in a <section>box</section> of Vec<String>",
            )
            .await;
        f.post(&thread.id, &ada.id, "nothing to see").await;

        // A search term is a run of letters and digits, on both backends alike.
        for text in [
            "ada",
            "example",
            "ada@example.com",
            "docs guide",
            "https",
            "usr lib libfoo so",
            "v3",
            "14",
            "v3.14",
            "section",
            "box",
            "string",
            "Vec<String>",
        ] {
            assert_eq!(
                found(&f.search, &request(text, member_of(&ada.id))).await,
                set([&id]),
                "{text:?}"
            );
        }
        // And the snippet marks them inside the text as written.
        let snippet = |text: &'static str| {
            let (search, scope) = (&f.search, member_of(&ada.id));
            async move {
                let hit = hits(search, &request(text, scope)).await.pop().unwrap();
                hit.snippet.as_str().to_owned()
            }
        };
        let example = snippet("example").await;
        assert!(example.contains("<mark>example</mark>.com"), "{example}");
        let docs = snippet("docs").await;
        assert!(
            docs.contains("<mark>docs</mark>.example.org/guide"),
            "{docs}"
        );
        let string = snippet("string").await;
        assert!(string.contains("Vec&lt;<mark>String</mark>"), "{string}");
    }
);

repo_test!(
    the_index_still_points_at_the_right_messages_after_a_vacuum,
    |f| {
        use sea_orm::ConnectionTrait;
        let ada = f.user("Ada").await;
        let thread = f.thread(&ada.id, "Ops").await;
        // SQLite documents that VACUUM may renumber implicit rowids (after deletions, say);
        // the index points at an explicit key, so it names the right messages whatever
        // the SQLite version does.
        let mut gone = Vec::new();
        for i in 0..5 {
            gone.push(f.post(&thread.id, &ada.id, &format!("filler {i}")).await);
        }
        let kiwi = f.post(&thread.id, &ada.id, "kiwi season").await;
        let mango = f.post(&thread.id, &ada.id, "mango season").await;
        for id in &gone {
            f.delete_message(id, &thread.id, None, &ada.id)
                .await
                .unwrap();
        }
        f.conn.execute_unprepared("VACUUM").await.unwrap();

        let scope = member_of(&ada.id);
        assert_eq!(
            found(&f.search, &request("kiwi", scope.clone())).await,
            set([&kiwi])
        );
        assert_eq!(
            found(&f.search, &request("mango", scope.clone())).await,
            set([&mango])
        );
        assert_eq!(
            found(&f.search, &request("season", scope)).await,
            set([&kiwi, &mango])
        );
    }
);
