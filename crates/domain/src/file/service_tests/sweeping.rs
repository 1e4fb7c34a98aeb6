//! The sweep of bytes no record references and of abandoned uploads.

use super::*;

// ---------------------------------------------------------------------------------------
// sweep

impl Ports {
    /// Sweeps what is older than an hour, now.
    async fn sweep_now(self) -> DomainResult<SweepReport> {
        self.service()
            .sweep(time::now(), ChronoDuration::hours(1))
            .await
    }
}

#[tokio::test]
async fn the_sweep_collects_unreferenced_and_unknown_old_bytes_and_counts_what_went() {
    let now = time::now();
    let grace = ChronoDuration::hours(1);
    let cutoff = now - grace;
    let [unreferenced, reused, unknown, known] = [b"a", b"b", b"c", b"d"].map(|b| digest_of(b));

    let mut files = MockFileRepository::new();
    files.expect_unreferenced_blobs().times(1).returning({
        let found = vec![unreferenced.clone(), reused.clone()];
        move |_| Ok(found.clone())
    });
    files
        .expect_known_blobs()
        .withf({
            let asked = vec![unknown.clone(), known.clone()];
            move |digests| digests == asked.as_slice()
        })
        .times(1)
        .returning({
            let known = known.clone();
            move |_| Ok(vec![known.clone()])
        });
    // One expectation per digest; a collect of `known` matches none and panics.
    for (digest, collected) in [(&unreferenced, true), (&reused, false), (&unknown, true)] {
        let digest = digest.clone();
        files
            .expect_collect_blob()
            .withf(move |asked, _| asked == &digest)
            .times(1)
            .returning(move |_, _| Ok(collected));
    }
    let mut blobs = MockBlobStore::new();
    blobs
        .expect_blobs_older_than()
        .withf(move |before| *before == cutoff)
        .times(1)
        .returning({
            let stored = vec![unknown.clone(), known.clone()];
            move |_| Ok(stored.clone())
        });
    blobs
        .expect_remove_partials_older_than()
        .withf(move |before| *before == cutoff)
        .times(1)
        .returning(|_| Ok(3));

    let report = Ports {
        files,
        blobs,
        ..Ports::default()
    }
    .service()
    .sweep(now, grace)
    .await
    .unwrap();

    assert_eq!(
        report,
        SweepReport {
            blobs_collected: 2,
            partials_removed: 3,
        }
    );
}

#[tokio::test]
async fn one_blob_that_cannot_be_collected_does_not_stop_the_sweep() {
    let [failing, fine] = [b"a", b"b"].map(|b| digest_of(b));
    let mut files = MockFileRepository::new();
    files.expect_unreferenced_blobs().returning({
        let found = vec![failing.clone(), fine.clone()];
        move |_| Ok(found.clone())
    });
    files.expect_known_blobs().returning(|_| Ok(Vec::new()));
    files
        .expect_collect_blob()
        .withf(move |asked, _| asked == &failing)
        .times(1)
        .returning(|_, _| Err(DomainError::Unexpected(anyhow::anyhow!("storage is down"))));
    files
        .expect_collect_blob()
        .withf(move |asked, _| asked == &fine)
        .times(1)
        .returning(|_, _| Ok(true));
    let mut blobs = MockBlobStore::new();
    blobs
        .expect_blobs_older_than()
        .returning(|_| Ok(Vec::new()));
    blobs
        .expect_remove_partials_older_than()
        .times(1)
        .returning(|_| Ok(1));

    let report = Ports {
        files,
        blobs,
        ..Ports::default()
    }
    .sweep_now()
    .await
    .unwrap();

    assert_eq!(
        report,
        SweepReport {
            blobs_collected: 1,
            partials_removed: 1,
        }
    );
}

#[tokio::test]
async fn a_sweep_with_nothing_to_do_reports_nothing() {
    let mut files = MockFileRepository::new();
    files
        .expect_unreferenced_blobs()
        .returning(|_| Ok(Vec::new()));
    files.expect_known_blobs().returning(|_| Ok(Vec::new()));
    files.expect_collect_blob().never();
    let mut blobs = MockBlobStore::new();
    blobs
        .expect_blobs_older_than()
        .returning(|_| Ok(Vec::new()));
    blobs
        .expect_remove_partials_older_than()
        .returning(|_| Ok(0));

    let report = Ports {
        files,
        blobs,
        ..Ports::default()
    }
    .sweep_now()
    .await
    .unwrap();

    assert_eq!(report, SweepReport::default());
}
