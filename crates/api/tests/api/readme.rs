//! The README's walkthrough, run as printed against a fresh server: every `sh` block
//! between `<!-- walkthrough -->` and `<!-- /walkthrough -->`, in order, by bash with
//! `set -euo pipefail`, in an empty folder. The one change is the address:
//! `localhost:8080` becomes the test server's. A server change that breaks a documented
//! command, or a README change that breaks the walkthrough, fails here.

use std::process::Command;

/// The walkthrough's commands: the `sh` blocks between the markers.
fn walkthrough(readme: &str) -> String {
    let start = readme
        .find("<!-- walkthrough -->")
        .expect("the opening marker");
    let end = readme
        .find("<!-- /walkthrough -->")
        .expect("the closing marker");
    let mut script = String::new();
    let mut in_block = false;
    for line in readme[start..end].lines() {
        match line.trim_end() {
            "```sh" => in_block = true,
            "```" => in_block = false,
            command if in_block => {
                script.push_str(command);
                script.push('\n');
            }
            _ => {}
        }
    }
    script
}

api_test!(the_readme_walkthrough_runs_as_printed, |app| async move {
    let readme = include_str!("../../../../README.md");
    let host = app.address.trim_start_matches("http://").to_owned();
    let script = format!(
        "set -euo pipefail\n{}",
        walkthrough(readme).replace("localhost:8080", &host)
    );
    let folder = tempfile::tempdir().expect("a folder to run in");
    let dir = folder.path().to_owned();
    let output = tokio::task::spawn_blocking(move || {
        Command::new("bash")
            .arg("-c")
            .arg(script)
            .current_dir(dir)
            .output()
            .expect("bash runs")
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}\n{stderr}");

    // What each step promises, in the order the walkthrough runs them.
    for expected in [
        r#""role":"ADMIN""#,
        r#""valid":true"#,
        "<mark>Friday</mark>",
        r#""emoji":"👍""#,
        r#""content":"Ship on **Friday**?""#,
        r#""role":"viewer""#,
        r#""content":"The chart""#,
        r#""errors":{"blocks[0].text.text""#,
    ] {
        assert!(
            stdout.contains(expected),
            "{expected} is missing from:\n{stdout}"
        );
    }
    assert!(
        !stdout.contains(r#""status":404"#),
        "a step named something that is not there:\n{stdout}"
    );
    let head = std::fs::read(folder.path().join("head.png")).expect("the ranged download");
    assert_eq!(&head[..8], b"\x89PNG\r\n\x1a\n");
    assert_eq!(head.len(), 16);
    let thumb = std::fs::read(folder.path().join("thumb.png")).expect("the preview");
    assert_eq!(&thumb[..4], b"\x89PNG");
});
