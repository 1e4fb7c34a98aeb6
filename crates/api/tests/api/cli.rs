//! The binary's command line: help and version print and exit instead of serving.

use std::process::Command;

fn run(args: &[&str]) -> (i32, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_experience-layer"))
        .args(args)
        .env_clear()
        .output()
        .expect("the binary runs");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
    )
}

#[test]
fn help_prints_usage_and_exits() {
    for flag in ["--help", "-h"] {
        let (code, out) = run(&[flag]);
        assert_eq!(code, 0, "{flag}");
        assert!(out.contains("Usage: experience-layer"), "{flag}: {out}");
        assert!(out.contains("serve") && out.contains("openapi"), "{out}");
    }
}

#[test]
fn version_prints_the_version_and_exits() {
    let (code, out) = run(&["--version"]);
    assert_eq!(code, 0);
    assert_eq!(
        out.trim(),
        format!("experience-layer {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn openapi_prints_the_document() {
    let (code, out) = run(&["openapi"]);
    assert_eq!(code, 0);
    assert!(
        out.starts_with("openapi: 3.1"),
        "{}",
        &out[..out.len().min(80)]
    );
}

#[test]
fn an_unknown_command_is_refused_with_exit_code_2() {
    let (code, _) = run(&["serve-forever"]);
    assert_eq!(code, 2);
}
