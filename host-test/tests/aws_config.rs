//! The CLI takes credentials and settings from the AWS configuration files
//! as aws-cli does, end to end against the local server: a profile's keys,
//! region, `s3.endpoint_url` and `addressing_style`; `--profile` and
//! `AWS_PROFILE`; a `credential_process`; the order between input, flags,
//! environment and profile; a clear error naming every place looked; and
//! secrets from the files never printed.

#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::{wasm_path, Local, BUCKET};
use serde_json::{json, Value};

/// The binary with no AWS variables, and these files as its configuration.
fn command(dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_s3-connector"));
    for (name, _) in std::env::vars() {
        if name.starts_with("AWS_") {
            command.env_remove(name);
        }
    }
    command
        .env("S3_CONNECTOR_WASM", wasm_path())
        .env("AWS_CONFIG_FILE", dir.join("config"))
        .env("AWS_SHARED_CREDENTIALS_FILE", dir.join("credentials"));
    command
}

fn printed(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn list(command: &mut Command) -> Output {
    command
        .args([
            "list-objects",
            "--input",
            &json!({"bucket_name": BUCKET}).to_string(),
        ])
        .output()
        .unwrap()
}

fn ok(output: &Output) -> Value {
    assert_eq!(output.status.code(), Some(0), "{}", printed(output));
    serde_json::from_slice(&output.stdout).unwrap()
}

fn error(output: &Output) -> Value {
    assert_eq!(output.status.code(), Some(1), "{}", printed(output));
    serde_json::from_slice::<Value>(&output.stderr).unwrap()["error"].clone()
}

/// A config with profile `local` naming the server (endpoint, path style,
/// region), and its keys in the credentials file.
fn write_profiles(dir: &Path, local: &Local) {
    std::fs::write(
        dir.join("config"),
        format!(
            "[default]\nregion = eu-west-1\n\n[profile local]\nregion = us-east-1\ns3 =\n    endpoint_url = {}\n    \
             addressing_style = path\n",
            local.server.endpoint()
        ),
    )
    .unwrap();
    std::fs::write(
        dir.join("credentials"),
        format!(
            "[local]\naws_access_key_id = {}\naws_secret_access_key = {}\n\n[wrong]\naws_access_key_id = \
             AKIAWRONG\naws_secret_access_key = wrong/secret/key/0000000000000000000000\n",
            local.server.access_key(),
            local.server.secret_key()
        ),
    )
    .unwrap();
}

#[test]
fn a_profile_gives_credentials_region_endpoint_and_path_style() {
    let local = Local::new();
    let dir = tempfile::tempdir().unwrap();
    write_profiles(dir.path(), &local);
    let by_flag = ok(&list(command(dir.path()).args(["--profile", "local"])));
    assert_eq!(by_flag["region"], "us-east-1");
    let by_variable = ok(&list(command(dir.path()).env("AWS_PROFILE", "local")));
    assert_eq!(by_variable["region"], "us-east-1");
    // The secret key from the file is printed nowhere, even on failure.
    let failed = list(command(dir.path()).args(["--profile", "local", "--endpoint", "http://127.0.0.1:9"]));
    assert!(!printed(&failed).contains(local.server.secret_key()));
}

#[test]
fn input_and_flags_beat_the_environment_which_beats_the_default_profile() {
    let local = Local::new();
    let dir = tempfile::tempdir().unwrap();
    write_profiles(dir.path(), &local);
    // The default profile has no keys; the environment's are used, with
    // the default profile's region unless a flag says otherwise.
    let mut env_keys = command(dir.path());
    env_keys
        .env("AWS_ACCESS_KEY_ID", local.server.access_key())
        .env("AWS_SECRET_ACCESS_KEY", local.server.secret_key())
        .env("AWS_ENDPOINT_URL_S3", local.server.endpoint())
        .args(["--path-style", "--region", "us-east-1"]);
    ok(&list(&mut env_keys));
    // --profile beats the environment: the wrong profile's keys are refused.
    let mut explicit = command(dir.path());
    explicit
        .env("AWS_ACCESS_KEY_ID", local.server.access_key())
        .env("AWS_SECRET_ACCESS_KEY", local.server.secret_key())
        .args([
            "--profile",
            "wrong",
            "--endpoint",
            local.server.endpoint(),
            "--path-style",
            "--region",
            "us-east-1",
        ]);
    assert_eq!(error(&list(&mut explicit))["kind"], "service");
    // AWS_PROFILE does not: the environment's keys are used.
    let mut variable = command(dir.path());
    variable
        .env("AWS_PROFILE", "wrong")
        .env("AWS_ACCESS_KEY_ID", local.server.access_key())
        .env("AWS_SECRET_ACCESS_KEY", local.server.secret_key())
        .args([
            "--endpoint",
            local.server.endpoint(),
            "--path-style",
            "--region",
            "us-east-1",
        ]);
    ok(&list(&mut variable));
    // The input's keys beat them all.
    let mut input = command(dir.path());
    let fields = json!({"bucket_name": BUCKET, "access_key": local.server.access_key(),
        "secret_key": local.server.secret_key()});
    let output = input
        .args([
            "--profile",
            "wrong",
            "--endpoint",
            local.server.endpoint(),
            "--path-style",
        ])
        .args(["list-objects", "--input", &fields.to_string()])
        .output()
        .unwrap();
    ok(&output);
}

#[test]
fn a_credential_process_is_run_and_what_it_prints_is_not_echoed() {
    let local = Local::new();
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("creds.sh");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nprintf '{{\"Version\": 1, \"AccessKeyId\": \"{}\", \"SecretAccessKey\": \"{}\"}}'\n",
            local.server.access_key(),
            local.server.secret_key()
        ),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("config"),
        format!(
            "[profile proc]\ncredential_process = sh {}\nregion = us-east-1\nendpoint_url = {}\ns3 =\n  \
             addressing_style = path\n",
            script.display(),
            local.server.endpoint()
        ),
    )
    .unwrap();
    ok(&list(command(dir.path()).args(["--profile", "proc"])));
    // A process that fails is named, and nothing it printed is shown.
    std::fs::write(&script, "#!/bin/sh\necho 'LEAKED/SECRET'\nexit 4\n").unwrap();
    let failed = error(&list(command(dir.path()).args(["--profile", "proc"])));
    assert_eq!(failed["field"], "profile");
    assert!(
        failed["message"].as_str().unwrap().contains("credential_process"),
        "{failed}"
    );
    assert!(!failed.to_string().contains("LEAKED"));
}

#[test]
fn no_credentials_names_every_place_looked_and_a_missing_profile_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let none = error(&list(&mut command(dir.path())));
    assert_eq!(none["field"], "access_key");
    let message = none["message"].as_str().unwrap();
    for place in [
        "input",
        "AWS_ACCESS_KEY_ID",
        "profile `default`",
        "credentials (missing)",
        "config (missing)",
    ] {
        assert!(message.contains(place), "{place} is not named: {message}");
    }
    let missing = error(&list(command(dir.path()).args(["--profile", "nowhere"])));
    assert_eq!(missing["field"], "profile");
    assert!(
        missing["message"]
            .as_str()
            .unwrap()
            .contains("`nowhere` was not found"),
        "{missing}"
    );
}

/// A presigned URL made with temporary credentials never claims to outlive
/// them: `AWS_CREDENTIAL_EXPIRATION` (as the SDKs read it), a
/// `credential_process`'s `Expiration`, or the input's `credentials_expire`.
#[test]
fn presigned_urls_do_not_outlive_temporary_credentials() {
    let dir = tempfile::tempdir().unwrap();
    let now = time::OffsetDateTime::now_utc().unix_timestamp() as u64;
    let in_ten_minutes = time::OffsetDateTime::now_utc() + time::Duration::minutes(10);
    let rfc3339 = in_ten_minutes
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let presign = |command: &mut Command, extra: Value| {
        let mut input = json!({"bucket_name": "my-bucket", "object_path": "k", "expires_seconds": 3600});
        input
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        command
            .args(["--endpoint", "http://127.0.0.1:9", "--region", "us-east-1"])
            .args(["get-object-signed-url", "--input", &input.to_string()])
            .output()
            .unwrap()
    };
    let expires_of = |output: &Output| -> u64 {
        let result = ok(output);
        let url = result["file"]["url"].as_str().unwrap().to_owned();
        let seconds: u64 = url
            .split("X-Amz-Expires=")
            .nth(1)
            .and_then(|rest| rest.split('&').next())
            .unwrap()
            .parse()
            .unwrap();
        assert!(
            seconds <= 600,
            "X-Amz-Expires={seconds} outlives the credentials: {url}"
        );
        result["file"]["expires"].as_u64().unwrap()
    };
    let from_env = presign(
        command(dir.path())
            .env("AWS_ACCESS_KEY_ID", "ASIATEMP")
            .env("AWS_SECRET_ACCESS_KEY", "temp/secret")
            .env("AWS_SESSION_TOKEN", "token")
            .env("AWS_CREDENTIAL_EXPIRATION", &rfc3339),
        json!({}),
    );
    assert!(expires_of(&from_env) <= now + 601);

    let script = dir.path().join("temp-creds.sh");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nprintf '{{\"Version\": 1, \"AccessKeyId\": \"ASIAPROC\", \"SecretAccessKey\": \
             \"proc/secret\", \"SessionToken\": \"tok\", \"Expiration\": \"{rfc3339}\"}}'\n"
        ),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("config"),
        format!("[profile temp]\ncredential_process = sh {}\n", script.display()),
    )
    .unwrap();
    let from_process = presign(command(dir.path()).args(["--profile", "temp"]), json!({}));
    assert!(expires_of(&from_process) <= now + 601);

    let expired = presign(
        command(dir.path())
            .env("AWS_ACCESS_KEY_ID", "ASIATEMP")
            .env("AWS_SECRET_ACCESS_KEY", "temp/secret"),
        json!({"credentials_expire": now - 60}),
    );
    assert_eq!(error(&expired)["field"], "credentials_expire");
}
