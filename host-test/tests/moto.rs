//! What s3s-fs cannot show, against moto_server (an S3 emulator from PyPI):
//! canned ACLs and buckets in other regions. `make test` installs moto and
//! sets MOTO_SERVER to its `moto_server`; without it this test says so and
//! passes. moto does not verify signatures: s3s-fs tests cover those.

#![allow(clippy::unwrap_used)]

mod common;

use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::instance;
use s3_connector_host::wit::{CannedAcl, Connection, PutObjectAclInput, PutObjectTextInput};

/// A moto_server on 127.0.0.1, killed when dropped.
struct Moto {
    child: Child,
    endpoint: String,
}

impl Moto {
    fn start() -> Option<Self> {
        let Some(binary) = std::env::var_os("MOTO_SERVER") else {
            eprintln!("MOTO_SERVER is not set (`make test` sets it): the moto checks are skipped");
            return None;
        };
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(binary)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let moto = Self {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "moto_server did not start in 30 s");
            std::thread::sleep(Duration::from_millis(100));
        }
        Some(moto)
    }

    fn conn(&self, region: &str) -> Connection {
        Connection {
            access_key: "AKIAIOSFODNN7EXAMPLE".to_owned(),
            secret_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".to_owned(),
            session_token: None,
            region: Some(region.to_owned()),
            endpoint: Some(self.endpoint.clone()),
            path_style: true,
        }
    }

    fn agent() -> ureq::Agent {
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .new_agent()
    }

    /// Creates a bucket directly (the connector has no operation for it).
    fn create_bucket(&self, name: &str, region: &str) {
        let url = format!("{}/{name}", self.endpoint);
        let response = if region == "us-east-1" {
            Self::agent().put(&url).send_empty()
        } else {
            let body = format!(
                "<CreateBucketConfiguration><LocationConstraint>{region}\
                 </LocationConstraint></CreateBucketConfiguration>"
            );
            Self::agent().put(&url).send(body)
        }
        .unwrap();
        assert_eq!(response.status().as_u16(), 200, "create bucket {name}");
    }

    /// The ACL XML of an object, read directly.
    fn object_acl(&self, bucket: &str, key: &str) -> String {
        let url = format!("{}/{bucket}/{key}?acl", self.endpoint);
        let mut response = Self::agent().get(&url).call().unwrap();
        response.body_mut().read_to_string().unwrap()
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn acl_and_bucket_location_on_moto() {
    let Some(moto) = Moto::start() else {
        return;
    };
    moto.create_bucket("home-bucket", "us-east-1");
    moto.create_bucket("irish-bucket", "eu-west-1");
    let conn = moto.conn("us-east-1");
    let mut instance = instance();

    assert_eq!(
        instance.get_bucket_location(&conn, "home-bucket").unwrap(),
        "us-east-1"
    );
    assert_eq!(
        instance.get_bucket_location(&conn, "irish-bucket").unwrap(),
        "eu-west-1"
    );

    instance
        .put_object_text(
            &conn,
            &PutObjectTextInput {
                bucket_name: "home-bucket".to_owned(),
                object_path: "shared.txt".to_owned(),
                content: "for everyone".to_owned(),
                mime_type: None,
                acl: None,
                metadata: vec![],
            },
        )
        .unwrap();
    assert!(!moto.object_acl("home-bucket", "shared.txt").contains("AllUsers"));
    instance
        .put_object_acl(
            &conn,
            &PutObjectAclInput {
                bucket_name: "home-bucket".to_owned(),
                object_path: "shared.txt".to_owned(),
                acl: CannedAcl::PublicRead,
                version_id: None,
            },
        )
        .unwrap();
    let acl = moto.object_acl("home-bucket", "shared.txt");
    assert!(
        acl.contains("http://acs.amazonaws.com/groups/global/AllUsers") && acl.contains("READ"),
        "{acl}"
    );
}
