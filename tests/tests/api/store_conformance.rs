//! One conformance suite, run against both `Store` adapters: embedded SQLite and DynamoDB (on a
//! moto server started by the harness). The domain relies on exactly these behaviours.

use std::sync::Arc;

use integration_tests::moto_store;
use serde_json::{json, Value};
use shared::adapters::embedded::sqlite::SqliteStore;
use shared::ports::clock::SystemClock;
use shared::ports::store::{
    Attrs, Cond, FailedCondition, Item, Key, Query, Store, StoreError, Update, WriteOp, TTL_ATTR,
};

fn attrs(v: Value) -> Attrs {
    match v {
        Value::Object(m) => m,
        _ => panic!("object expected"),
    }
}

fn item(pk: &str, sk: &str, v: Value) -> Item {
    Item::new(Key::new(pk, sk), attrs(v))
}

fn now_s() -> i64 {
    use shared::ports::clock::Clock;
    SystemClock.now_ms() / 1000
}

async fn roundtrip(store: Arc<dyn Store>) {
    let value = json!({ "s": "héllo #1", "n": 42, "neg": -7, "b": true, "list": ["a", 1], "obj": { "x": [1, 2] }, "empty": "" });
    store.put(item("P", "A", value.clone()), Cond::Always).await.unwrap();
    let got = store.get(&Key::new("P", "A"), true).await.unwrap().expect("item");
    assert_eq!(Value::Object(got.attrs), value);
    assert!(store.get(&Key::new("P", "missing"), true).await.unwrap().is_none());
}

async fn conditional_put(store: Arc<dyn Store>) {
    store.put(item("P", "A", json!({ "v": 1 })), Cond::NotExists).await.unwrap();
    let err = store.put(item("P", "A", json!({ "v": 2 })), Cond::NotExists).await.unwrap_err();
    assert_eq!(err, StoreError::ConditionFailed);
    assert_eq!(store.get(&Key::new("P", "A"), true).await.unwrap().unwrap().attrs["v"], json!(1));
    store.put(item("P", "A", json!({ "v": 3 })), Cond::Equals("v".into(), json!(1))).await.unwrap();
    assert_eq!(
        store.put(item("P", "A", json!({ "v": 4 })), Cond::Equals("v".into(), json!(1))).await.unwrap_err(),
        StoreError::ConditionFailed
    );
    assert_eq!(store.put(item("P", "B", json!({})), Cond::Exists).await.unwrap_err(), StoreError::ConditionFailed);
    // ExistsWithout: the item is there and lacks the attribute.
    let without = Cond::ExistsWithout("taken".into());
    assert_eq!(
        store.update(&Key::new("P", "NONE"), Update::default().set("taken", 1), without.clone()).await.unwrap_err(),
        StoreError::ConditionFailed
    );
    store.update(&Key::new("P", "A"), Update::default().set("taken", 1), without.clone()).await.unwrap();
    assert_eq!(
        store.update(&Key::new("P", "A"), Update::default().set("taken", 2), without).await.unwrap_err(),
        StoreError::ConditionFailed
    );
}

async fn update_and_counters(store: Arc<dyn Store>) {
    let key = Key::new("P", "COUNTER");
    let after = store.update(&key, Update::default().add("n", 1).set("name", "x"), Cond::Always).await.unwrap();
    assert_eq!(after["n"], json!(1));
    let after = store.update(&key, Update::default().add("n", 5).remove("name"), Cond::Exists).await.unwrap();
    assert_eq!(after["n"], json!(6));
    assert!(!after.contains_key("name"));
    // Forward-only positions.
    store.update(&key, Update::default().set("pos", 10), Cond::MissingOrBelow("pos".into(), 10)).await.unwrap();
    assert_eq!(
        store.update(&key, Update::default().set("pos", 5), Cond::MissingOrBelow("pos".into(), 5)).await.unwrap_err(),
        StoreError::ConditionFailed
    );
    store.update(&key, Update::default().set("pos", 11), Cond::MissingOrBelow("pos".into(), 11)).await.unwrap();
    assert_eq!(
        store.update(&Key::new("P", "NONE"), Update::default().set("a", 1), Cond::Exists).await.unwrap_err(),
        StoreError::ConditionFailed
    );
}

async fn delete(store: Arc<dyn Store>) {
    assert_eq!(store.delete(&Key::new("P", "gone"), Cond::Exists).await.unwrap_err(), StoreError::ConditionFailed);
    store.put(item("P", "D", json!({ "v": 1 })), Cond::Always).await.unwrap();
    let old = store.delete(&Key::new("P", "D"), Cond::Exists).await.unwrap();
    assert_eq!(old.unwrap()["v"], json!(1));
    assert!(store.get(&Key::new("P", "D"), true).await.unwrap().is_none());
}

async fn transactions_are_all_or_nothing(store: Arc<dyn Store>) {
    store.put(item("P", "EXISTS", json!({ "v": 1 })), Cond::Always).await.unwrap();
    let ops = vec![
        WriteOp::Put { item: item("P", "T1", json!({})), cond: Cond::NotExists },
        WriteOp::Update { key: Key::new("P", "T2"), update: Update::default().add("n", 1), cond: Cond::Always },
        WriteOp::Put { item: item("P", "EXISTS", json!({ "v": 2 })), cond: Cond::NotExists },
        WriteOp::Check { key: Key::new("P", "T3"), cond: Cond::NotExists },
    ];
    let err = store.transact(ops).await.unwrap_err();
    let failed = vec![FailedCondition::new(2, Some(attrs(json!({ "v": 1 }))))];
    assert_eq!(err, StoreError::TransactionCanceled { failed });
    assert!(store.get(&Key::new("P", "T1"), true).await.unwrap().is_none());
    assert!(store.get(&Key::new("P", "T2"), true).await.unwrap().is_none());
    let ops = vec![
        WriteOp::Put { item: item("P", "T1", json!({ "ok": true })), cond: Cond::NotExists },
        WriteOp::Update {
            key: Key::new("P", "EXISTS"),
            update: Update::default().add("v", 1),
            cond: Cond::Equals("v".into(), json!(1)),
        },
        WriteOp::Delete { key: Key::new("P", "T2"), cond: Cond::Always },
        WriteOp::Check { key: Key::new("P", "EXISTS"), cond: Cond::Exists },
    ];
    let err = store.transact(ops.clone()).await;
    // A Check and an Update of the same item is refused by DynamoDB; both adapters agree.
    assert!(err.is_err());
    store.transact(ops[..3].to_vec()).await.unwrap();
    assert_eq!(store.get(&Key::new("P", "EXISTS"), true).await.unwrap().unwrap().attrs["v"], json!(2));
    assert_eq!(store.get(&Key::new("P", "T1"), true).await.unwrap().unwrap().attrs["ok"], json!(true));
}

async fn queries(store: Arc<dyn Store>) {
    let mut ops = Vec::new();
    for i in 0..30 {
        ops.push(WriteOp::Put { item: item("Q", &format!("MSG#{i:03}"), json!({ "i": i })), cond: Cond::Always });
    }
    ops.push(WriteOp::Put { item: item("Q", "CHG#001", json!({})), cond: Cond::Always });
    ops.push(WriteOp::Put { item: item("Q", "NOPE", json!({})), cond: Cond::Always });
    ops.push(WriteOp::Put { item: item("OTHER", "MSG#000", json!({})), cond: Cond::Always });
    store.batch_write(ops).await.unwrap();

    let all = store.query(&Query::prefix("Q", "MSG#").limit(100)).await.unwrap();
    assert_eq!(all.items.len(), 30);
    assert!(!all.more);
    let ids: Vec<i64> = all.items.iter().map(|i| i.attrs["i"].as_i64().unwrap()).collect();
    assert_eq!(ids, (0..30).collect::<Vec<_>>());

    let page = store.query(&Query::prefix("Q", "MSG#").limit(10)).await.unwrap();
    assert_eq!(page.items.len(), 10);
    assert!(page.more);
    let next = store.query(&Query::prefix("Q", "MSG#").after(page.items[9].key.sk.clone()).limit(10)).await.unwrap();
    assert_eq!(next.items[0].key.sk, "MSG#010");

    let back = store.query(&Query::prefix("Q", "MSG#").backward().limit(5)).await.unwrap();
    assert_eq!(
        back.items.iter().map(|i| i.key.sk.as_str()).collect::<Vec<_>>(),
        ["MSG#029", "MSG#028", "MSG#027", "MSG#026", "MSG#025"]
    );
    let before = store.query(&Query::prefix("Q", "MSG#").before("MSG#005".into()).backward().limit(100)).await.unwrap();
    assert_eq!(before.items.len(), 5);
    assert_eq!(before.items[0].key.sk, "MSG#004");
    assert!(!before.more);
    let exact = store.query(&Query::prefix("Q", "MSG#").after("MSG#028".into()).limit(1)).await.unwrap();
    assert_eq!(exact.items.len(), 1);
    assert!(!exact.more);
    let none = store.query(&Query::prefix("Q", "ZZZ#")).await.unwrap();
    assert!(none.items.is_empty() && !none.more);
}

async fn unicode_sort_keys(store: Arc<dyn Store>) {
    for token in ["zoë", "zoe", "Ωmega", "émile", "émilie", "漢字"] {
        store.put(item("U", &format!("{token}#u"), json!({ "t": token })), Cond::Always).await.unwrap();
    }
    let page = store.query(&Query::prefix("U", "émil")).await.unwrap();
    assert_eq!(page.items.len(), 2);
    let page = store.query(&Query::prefix("U", "zo")).await.unwrap();
    assert_eq!(page.items.iter().map(|i| i.attrs["t"].as_str().unwrap()).collect::<Vec<_>>(), ["zoe", "zoë"]);
    let page = store.query(&Query::prefix("U", "漢")).await.unwrap();
    assert_eq!(page.items.len(), 1);
}

async fn batches(store: Arc<dyn Store>) {
    let ops: Vec<WriteOp> = (0..60)
        .map(|i| WriteOp::Put { item: item("B", &format!("{i:02}"), json!({ "i": i })), cond: Cond::Always })
        .collect();
    store.batch_write(ops).await.unwrap();
    let keys: Vec<Key> = (0..130).map(|i| Key::new("B", format!("{i:02}"))).collect();
    let got = store.batch_get(&keys, true).await.unwrap();
    assert_eq!(got.len(), 60);
    let deletes: Vec<WriteOp> =
        (0..30).map(|i| WriteOp::Delete { key: Key::new("B", format!("{i:02}")), cond: Cond::Always }).collect();
    store.batch_write(deletes).await.unwrap();
    assert_eq!(store.batch_get(&keys, true).await.unwrap().len(), 30);
    assert!(store.batch_get(&[], true).await.unwrap().is_empty());
}

async fn expired_items_are_invisible(store: Arc<dyn Store>) {
    store.put(item("X", "old", json!({ TTL_ATTR: now_s() - 10 })), Cond::Always).await.unwrap();
    store.put(item("X", "new", json!({ TTL_ATTR: now_s() + 3600 })), Cond::Always).await.unwrap();
    assert!(store.get(&Key::new("X", "old"), true).await.unwrap().is_none());
    assert!(store.get(&Key::new("X", "new"), true).await.unwrap().is_some());
    let page = store.query(&Query::prefix("X", "")).await.unwrap();
    assert_eq!(page.items.len(), 1);
    assert_eq!(store.batch_get(&[Key::new("X", "old"), Key::new("X", "new")], true).await.unwrap().len(), 1);
}

async fn one_winner_under_contention(store: Arc<dyn Store>) {
    let attempts = (0..20).map(|i| {
        let store = store.clone();
        async move { store.put(item("C", "guard", json!({ "by": i })), Cond::NotExists).await }
    });
    let results = futures::future::join_all(attempts).await;
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1);
    assert!(results.iter().filter_map(|r| r.as_ref().err()).all(|e| *e == StoreError::ConditionFailed));
}

/// What a thread reply's transaction relies on: an object set beside a numeric attribute that
/// guards it (missing before the first reply, then equal to what was read), refusals reported by
/// position, `add 0` creating a counter without changing one, and a prefix whose keys hold `#`.
async fn guarded_object_updates(store: Arc<dyn Store>) {
    let root = Key::new("T", "MSG#1");
    store.put(item("T", "MSG#1", json!({ "body": "root" })), Cond::NotExists).await.unwrap();
    let summary =
        |n: i64| Update::default().set("thread", json!({ "replyCount": n, "ids": ["a"] })).set("threadSeq", n);
    let reply = |n: i64, cond: Cond| {
        vec![
            WriteOp::Put { item: item("T", &format!("RPL#1#{n}"), json!({ "n": n })), cond: Cond::NotExists },
            WriteOp::Update { key: root.clone(), update: summary(n), cond },
        ]
    };
    store.transact(reply(1, Cond::ExistsWithout("threadSeq".into()))).await.unwrap();
    // A second "first reply", and a reply planned on a stale summary, are refused at the root.
    for stale in [Cond::ExistsWithout("threadSeq".into()), Cond::Equals("threadSeq".into(), json!(0))] {
        match store.transact(reply(2, stale)).await.unwrap_err() {
            StoreError::TransactionCanceled { failed } => {
                assert_eq!(failed.iter().map(|f| f.op).collect::<Vec<_>>(), [1]);
            }
            other => panic!("refusal expected, got {other:?}"),
        }
    }
    store.transact(reply(2, Cond::Equals("threadSeq".into(), json!(1)))).await.unwrap();
    // A root that is gone takes no reply (the update would otherwise create it).
    let gone = WriteOp::Update {
        key: Key::new("T", "MSG#9"),
        update: summary(1),
        cond: Cond::ExistsWithout("threadSeq".into()),
    };
    assert_eq!(
        store.transact(vec![gone]).await.unwrap_err(),
        StoreError::TransactionCanceled { failed: vec![FailedCondition::new(0, None)] }
    );
    assert!(store.get(&Key::new("T", "MSG#9"), true).await.unwrap().is_none());
    let got = store.get(&root, true).await.unwrap().unwrap().attrs;
    assert_eq!(
        (got["thread"]["replyCount"].clone(), got["threadSeq"].clone(), got["body"].clone()),
        (json!(2), json!(2), json!("root"))
    );
    // `add 0`: a new follower's count starts at 0; a follower's stays.
    let follow = Key::new("U", "THREAD#C#1");
    let keep = Update::default().set("rootId", "1").add("readCount", 0);
    assert_eq!(store.update(&follow, keep.clone(), Cond::Always).await.unwrap()["readCount"], json!(0));
    store.update(&follow, Update::default().set("readCount", 5), Cond::Always).await.unwrap();
    assert_eq!(store.update(&follow, keep, Cond::Always).await.unwrap()["readCount"], json!(5));
    // One thread's replies, not another's whose root id starts the same.
    store.put(item("T", "RPL#10#1", json!({})), Cond::NotExists).await.unwrap();
    let page = store.query(&Query::prefix("T", "RPL#1#")).await.unwrap();
    let sks: Vec<&str> = page.items.iter().map(|i| i.key.sk.as_str()).collect();
    assert_eq!(sks, ["RPL#1#1", "RPL#1#2"]);
}

/// The reaction summary's pattern: a list of objects replaced under a version condition, first
/// "exists without a version", then "version equals"; a stale version, or a missing item, is
/// refused (and nothing is created); concurrent writers at one version leave one winner.
async fn versioned_list_updates(store: Arc<dyn Store>) {
    let key = Key::new("R", "MSG#1");
    let summary = |users: &[&str]| json!([{ "emoji": "👍🏽", "count": users.len(), "userIds": users }, { "emoji": "❤️", "count": 1, "userIds": ["b"] }]);
    let write = |list: Option<Value>, version: Option<i64>, next: i64| {
        let update = match list {
            Some(list) => Update::default().set("reactions", list),
            None => Update::default().remove("reactions"),
        };
        let cond = match version {
            None => Cond::ExistsWithout("reactionsSeq".into()),
            Some(v) => Cond::Equals("reactionsSeq".into(), json!(v)),
        };
        WriteOp::Update { key: key.clone(), update: update.set("reactionsSeq", next), cond }
    };
    assert!(store.transact(vec![write(Some(summary(&["a"])), None, 3)]).await.is_err(), "no item: refused");
    assert!(store.get(&key, true).await.unwrap().is_none(), "and not created");
    store.put(item("R", "MSG#1", json!({ "body": "hi" })), Cond::Always).await.unwrap();
    store.transact(vec![write(Some(summary(&["a"])), None, 3)]).await.unwrap();
    assert!(store.transact(vec![write(Some(summary(&["z"])), None, 4)]).await.is_err(), "stale: refused");
    store.transact(vec![write(Some(summary(&["a", "c"])), Some(3), 5)]).await.unwrap();
    let got = store.get(&key, true).await.unwrap().unwrap().attrs;
    assert_eq!(
        (got["reactions"].clone(), got["reactionsSeq"].clone(), got["body"].clone()),
        (summary(&["a", "c"]), json!(5), json!("hi"))
    );
    assert!(store.transact(vec![write(None, Some(3), 6)]).await.is_err(), "stale: refused");
    store.transact(vec![write(None, Some(5), 6)]).await.unwrap();
    let got = store.get(&key, true).await.unwrap().unwrap().attrs;
    assert!(!got.contains_key("reactions"));
    let racers = (0..12).map(|i| {
        let (store, op) = (store.clone(), write(Some(summary(&[&format!("u{i}")])), Some(6), 7 + i));
        async move { store.transact(vec![op]).await }
    });
    let results = futures::future::join_all(racers).await;
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1, "one writer wins a version");
}

/// A refused transaction names each failed condition with its item as it is now, or none when
/// there is no item (DynamoDB's `ReturnValuesOnConditionCheckFailure = ALL_OLD`, which moto
/// implements): the sequence engine retries a lost race at the seq the refusal shows, without
/// reading the conversation again.
async fn refusals_carry_the_item_as_it_is_now(store: Arc<dyn Store>) {
    let meta = json!({ "lastSeq": 7, "name": "hot", "counts": { "messages": 3 } });
    store.put(item("R", "META", meta.clone()), Cond::Always).await.unwrap();
    // Planned at seq 7 on a read of 6: another change took 7 since.
    let ops = vec![
        WriteOp::Put { item: item("R", "LOG#7", json!({ "by": "loser" })), cond: Cond::NotExists },
        WriteOp::Update {
            key: Key::new("R", "META"),
            update: Update::default().set("lastSeq", 7).add("n", 1),
            cond: Cond::Equals("lastSeq".into(), json!(6)),
        },
        WriteOp::Check { key: Key::new("R", "GONE"), cond: Cond::Exists },
    ];
    let expected = vec![FailedCondition::new(1, Some(attrs(meta.clone()))), FailedCondition::new(2, None)];
    assert_eq!(store.transact(ops).await.unwrap_err(), StoreError::TransactionCanceled { failed: expected });
    assert!(store.get(&Key::new("R", "LOG#7"), true).await.unwrap().is_none(), "nothing of it was written");
    assert_eq!(Value::Object(store.get(&Key::new("R", "META"), true).await.unwrap().unwrap().attrs), meta);
}

/// Presence's store operations (issue 22): a status decided once under a condition on the one
/// read, whether the item is missing, has no status yet (an away choice came first) or has one.
async fn presence_transitions(store: Arc<dyn Store>) {
    use shared::domain::ids::{TenantId, UserId};
    use shared::domain::presence::PresenceStatus::{Away, Offline, Online};
    use shared::persistence::presence::PresenceRecord;
    use shared::persistence::Tables;
    let tables = Tables::new(store);
    let t = TenantId::parse("acme").unwrap();
    let (bob, carol) = (
        UserId::parse(&format!("bob{}", ulid::Ulid::new())).unwrap(),
        UserId::parse(&format!("carol{}", ulid::Ulid::new())).unwrap(),
    );
    assert!(tables.presence(&t, &bob).await.unwrap().is_none());
    assert!(tables.save_presence_status(&t, &bob, None, Online).await.unwrap());
    assert!(!tables.save_presence_status(&t, &bob, None, Away).await.unwrap(), "a second first write loses");
    let read = tables.presence(&t, &bob).await.unwrap().unwrap();
    assert_eq!(read, PresenceRecord { status: Some(Online), away_by_choice: false });
    assert!(tables.save_presence_status(&t, &bob, Some(&read), Offline).await.unwrap());
    assert!(!tables.save_presence_status(&t, &bob, Some(&read), Away).await.unwrap(), "decided on a stale read");
    tables.set_away_by_choice(&t, &carol, true).await.unwrap();
    let chosen = tables.presence(&t, &carol).await.unwrap().unwrap();
    assert_eq!(chosen, PresenceRecord { status: None, away_by_choice: true });
    assert!(tables.save_presence_status(&t, &carol, Some(&chosen), Away).await.unwrap());
    assert!(!tables.save_presence_status(&t, &carol, Some(&chosen), Online).await.unwrap());
    let both = tables.presences(&t, &[bob.clone(), carol.clone(), UserId::parse("nobody").unwrap()]).await.unwrap();
    assert_eq!(both.len(), 2);
    assert!(both.contains(&(carol.clone(), PresenceRecord { status: Some(Away), away_by_choice: true })));
}

macro_rules! conformance {
    ($adapter:ident, $factory:expr) => {
        mod $adapter {
            use super::*;
            async fn store() -> Arc<dyn Store> {
                $factory
            }
            #[tokio::test]
            async fn roundtrip() {
                super::roundtrip(store().await).await
            }
            #[tokio::test]
            async fn conditional_put() {
                super::conditional_put(store().await).await
            }
            #[tokio::test]
            async fn update_and_counters() {
                super::update_and_counters(store().await).await
            }
            #[tokio::test]
            async fn delete() {
                super::delete(store().await).await
            }
            #[tokio::test]
            async fn transactions_are_all_or_nothing() {
                super::transactions_are_all_or_nothing(store().await).await
            }
            #[tokio::test]
            async fn queries() {
                super::queries(store().await).await
            }
            #[tokio::test]
            async fn unicode_sort_keys() {
                super::unicode_sort_keys(store().await).await
            }
            #[tokio::test]
            async fn batches() {
                super::batches(store().await).await
            }
            #[tokio::test]
            async fn expired_items_are_invisible() {
                super::expired_items_are_invisible(store().await).await
            }
            #[tokio::test]
            async fn guarded_object_updates() {
                super::guarded_object_updates(store().await).await
            }
            #[tokio::test]
            async fn one_winner_under_contention() {
                super::one_winner_under_contention(store().await).await
            }
            #[tokio::test]
            async fn versioned_list_updates() {
                super::versioned_list_updates(store().await).await
            }
            #[tokio::test]
            async fn refusals_carry_the_item_as_it_is_now() {
                super::refusals_carry_the_item_as_it_is_now(store().await).await
            }
            #[tokio::test]
            async fn presence_transitions() {
                super::presence_transitions(store().await).await
            }
        }
    };
}

conformance!(sqlite, Arc::new(SqliteStore::in_memory(Arc::new(SystemClock)).unwrap()));
conformance!(dynamodb, Arc::new(moto_store().await));
// A file database also reads through its pool of reader connections.
conformance!(
    sqlite_file,
    Arc::new(
        SqliteStore::open(
            &std::env::temp_dir().join(format!("conformance-{}.sqlite3", ulid::Ulid::new())),
            Arc::new(SystemClock)
        )
        .unwrap()
    )
);

/// The embedded store's change feed: what DynamoDB Streams (NEW_AND_OLD_IMAGES) gives the
/// stream consumers, durable and in commit order.
#[tokio::test]
async fn sqlite_change_feed_has_old_and_new_images() {
    let store = SqliteStore::in_memory(Arc::new(SystemClock)).unwrap();
    let mut head = store.feed_head();
    let start = *head.borrow();
    store.put(item("F", "A", json!({ "v": 1 })), Cond::Always).await.unwrap();
    store.update(&Key::new("F", "A"), Update::default().set("v", 2), Cond::Exists).await.unwrap();
    let failed = store
        .transact(vec![
            WriteOp::Put { item: item("F", "B", json!({})), cond: Cond::Always },
            WriteOp::Put { item: item("F", "A", json!({})), cond: Cond::NotExists },
        ])
        .await;
    assert!(failed.is_err());
    store.delete(&Key::new("F", "A"), Cond::Always).await.unwrap();
    head.changed().await.unwrap();
    let records = store.read_feed(start, 100).await.unwrap();
    assert_eq!(records.len(), 3, "a cancelled transaction leaves no records");
    assert!(records.windows(2).all(|w| w[0].position < w[1].position));
    assert_eq!((records[0].old.clone(), records[0].new.clone().unwrap()["v"].clone()), (None, json!(1)));
    assert_eq!(
        (records[1].old.clone().unwrap()["v"].clone(), records[1].new.clone().unwrap()["v"].clone()),
        (json!(1), json!(2))
    );
    assert_eq!((records[2].old.clone().unwrap()["v"].clone(), records[2].new.clone()), (json!(2), None));
    assert_eq!(*head.borrow(), records[2].position);
    store.trim_feed(records[1].position).await.unwrap();
    assert_eq!(store.read_feed(0, 100).await.unwrap().len(), 1);
}

/// Group commit: concurrent writes share SQLite transactions, yet each stays all-or-nothing and
/// sees the writes committed before it, exactly as if they had run one after another.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_group_commit_keeps_each_write_atomic() {
    let path = std::env::temp_dir().join(format!("group-commit-{}.sqlite3", ulid::Ulid::new()));
    let store = Arc::new(SqliteStore::open(&path, Arc::new(SystemClock)).unwrap());
    let start = *store.feed_head().borrow();
    let writes = (0..200).map(|i| {
        let store = store.clone();
        tokio::spawn(async move {
            let mut ops = vec![
                WriteOp::Put { item: item("G", &format!("k{i:03}"), json!({ "i": i })), cond: Cond::NotExists },
                WriteOp::Update {
                    key: Key::new("G", "counter"),
                    update: Update::default().add("n", 1),
                    cond: Cond::Always,
                },
            ];
            if i % 2 == 1 {
                // Odd writes carry a condition that cannot hold: they must leave nothing behind.
                ops.push(WriteOp::Check { key: Key::new("G", "missing"), cond: Cond::Exists });
            }
            // Every write also races for one guard: exactly one may take it.
            let guard = store.put(item("G", "guard", json!({ "by": i })), Cond::NotExists).await;
            (i, store.transact(ops).await, guard.is_ok())
        })
    });
    let results: Vec<_> = futures::future::join_all(writes).await.into_iter().map(Result::unwrap).collect();
    for (i, result, _) in &results {
        match i % 2 {
            0 => assert!(result.is_ok(), "write {i}: {result:?}"),
            _ => assert_eq!(
                *result,
                Err(StoreError::TransactionCanceled { failed: vec![FailedCondition::new(2, None)] }),
                "write {i}"
            ),
        }
    }
    assert_eq!(results.iter().filter(|(_, _, won)| *won).count(), 1, "one guard winner");
    assert_eq!(store.get(&Key::new("G", "counter"), true).await.unwrap().unwrap().attrs["n"], json!(100));
    let items = store.query(&Query::prefix("G", "k")).await.unwrap().items;
    assert_eq!(items.len(), 100);
    assert!(items.iter().all(|it| it.attrs["i"].as_i64().unwrap() % 2 == 0), "no cancelled write left an item");
    // 100 puts + 100 counter updates + 1 guard, each recorded once, in commit order.
    let records = store.read_feed(start, 1000).await.unwrap();
    assert_eq!(records.len(), 201);
    assert!(records.windows(2).all(|w| w[0].position < w[1].position));
    let _ = std::fs::remove_file(&path);
}
