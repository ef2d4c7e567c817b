//! An S3 server on 127.0.0.1 for demos and tests: s3s-fs, file-backed,
//! with SigV4 signatures verified.
//!
//! s3s-fs keeps each bucket as a plain directory under the root and each
//! object as a file in it (metadata in hidden `.bucket-*.metadata.json`
//! files at the root), so a bucket is made by making a directory:
//! [`LocalServer::create_bucket`] (the CLI's `--create-bucket NAME`). It
//! answers path-style requests only. It reports every bucket's location as
//! the empty string (which S3 clients read as `us-east-1`). Its listings
//! say `EncodingType` `url` but carry the keys unencoded, so a key holding
//! `+` or `%` is listed decoded once too often (`a+b` as `a b`). Its
//! `<Error>` bodies carry a `Code` but no `Message`. The two listings give
//! s3s-fs's answers from a faster walk of their own (`local_server/listing.rs`).
//!
//! s3s-fs has no ACLs; the server adds canned object ACLs ([`acl`]): Put
//! Object ACL with `x-amz-acl`, Put Object with `x-amz-acl`, and Get Object
//! ACL. They are kept in memory for the life of the server and lost when
//! it stops (each CLI call with `--local` starts a new one): the embedded
//! server is for trying the connector, not for storing data, and nothing
//! is enforced by them (every request signed with the server's key may do
//! anything).
//!
//! It is as careful with what lies outside its directory as S3 is with
//! other accounts ([`confine`]): keys are stored literally or refused,
//! symbolic links are never followed, and each server has its own random
//! key pair ([`KeyPair::random`]), so that another local user cannot sign
//! requests to it. Accepted sockets have `TCP_NODELAY` set.

use std::net::{Ipv4Addr, SocketAddr, TcpListener as StdListener};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::thread::JoinHandle;

use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder as ConnBuilder;
use s3s::auth::SimpleAuth;
use s3s::service::S3ServiceBuilder;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use self::acl::{AclFileSystem, AclTable};
use self::confine::Confine;

pub mod acl;
mod complete;
pub mod confine;
mod listing;
mod uploads;

/// The region the local server is addressed as.
pub const LOCAL_REGION: &str = "us-east-1";

/// A running local server; it stops when dropped.
pub struct LocalServer {
    endpoint: String,
    root: PathBuf,
    access_key: String,
    secret_key: String,
    acls: Arc<AclTable>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl LocalServer {
    /// Serves the directory `root` (created if missing) with a new random
    /// key pair ([`Self::access_key`], [`Self::secret_key`]).
    pub fn start(root: &Path) -> std::io::Result<Self> {
        let keys = KeyPair::random()?;
        Self::start_with(root, &keys.access_key, &keys.secret_key)
    }

    /// Serves `root` accepting only requests signed with this key pair.
    pub fn start_with(root: &Path, access_key: &str, secret_key: &str) -> std::io::Result<Self> {
        let keys = KeyPair {
            access_key: access_key.to_owned(),
            secret_key: secret_key.to_owned(),
        };
        Self::start_with_keys(root, std::slice::from_ref(&keys))
    }

    /// Serves `root` accepting requests signed with any of these key pairs
    /// (one per tenant, say; all may do anything). [`Self::access_key`] and
    /// [`Self::secret_key`] are the first pair's.
    pub fn start_with_keys(root: &Path, keys: &[KeyPair]) -> std::io::Result<Self> {
        let Some(first) = keys.first() else {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "no key pair",
            ));
        };
        let (access_key, secret_key) = (first.access_key.as_str(), first.secret_key.as_str());
        if root.exists() && !root.is_dir() {
            // `create_dir_all` would say only "File exists".
            return Err(std::io::Error::new(
                std::io::ErrorKind::NotADirectory,
                "not a directory",
            ));
        }
        std::fs::create_dir_all(root)?;
        let root = root.canonicalize()?;
        let (mut builder, acls) = service_builder(&root, access_key, secret_key)?;
        if keys.len() > 1 {
            let mut auth = SimpleAuth::new();
            for pair in keys {
                auth.register(pair.access_key.clone(), pair.secret_key.clone().into());
            }
            builder.set_auth(auth);
        }
        let service = builder.build();

        // Bind before spawning so that the port is known, and a failure is
        // reported, when `start` returns.
        let listener = StdListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))?;
        listener.set_nonblocking(true)?;
        let endpoint = format!("http://{}", listener.local_addr()?);
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("local-s3")
            .enable_all()
            .build()?;
        let (stop, mut stopped) = oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("local-s3".to_owned())
            .spawn(move || {
                runtime.block_on(async move {
                    let Ok(listener) = TcpListener::from_std(listener) else {
                        return;
                    };
                    let http = ConnBuilder::new(TokioExecutor::new());
                    loop {
                        let socket = tokio::select! {
                            accepted = listener.accept() => match accepted {
                                Ok((socket, _)) => {
                                    // Without it a small answer waits for the
                                    // client's delayed ACK (about 40 ms).
                                    let _ = socket.set_nodelay(true);
                                    socket
                                }
                                Err(_) => continue,
                            },
                            _ = &mut stopped => break,
                        };
                        let connection = http
                            .serve_connection(TokioIo::new(socket), service.clone())
                            .into_owned();
                        tokio::spawn(async move {
                            let _ = connection.await;
                        });
                    }
                });
                // Dropping the runtime here cancels open connections.
            })?;
        Ok(Self {
            endpoint,
            root,
            access_key: access_key.to_owned(),
            secret_key: secret_key.to_owned(),
            acls,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// The endpoint URL, `http://127.0.0.1:<port>`.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// The directory served.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The access key accepted.
    pub fn access_key(&self) -> &str {
        &self.access_key
    }

    /// The secret key accepted.
    pub fn secret_key(&self) -> &str {
        &self.secret_key
    }

    /// The canned ACL set on an object, by its S3 name (`public-read`);
    /// `None` when none was set since the object was last written, which
    /// S3 reads as `private`.
    pub fn object_acl(&self, bucket: &str, key: &str) -> Option<&'static str> {
        self.acls.get(bucket, key).map(acl::CannedAcl::as_str)
    }

    /// Makes bucket `name` (a directory under the root); an existing one is
    /// kept as it is.
    pub fn create_bucket(&self, name: &str) -> std::io::Result<()> {
        create_bucket_dir(&self.root, name)
    }
}

/// The S3 service of a local server on `root` (absolute and canonical):
/// s3s-fs with canned ACLs ([`acl`]), requests signed with this key pair
/// only and confined to their bucket ([`confine`]). Returned as a builder,
/// so that a caller may add to it (virtual-host names, say); also the
/// table of ACLs it keeps.
pub fn service_builder(
    root: &Path,
    access_key: &str,
    secret_key: &str,
) -> std::io::Result<(S3ServiceBuilder, Arc<AclTable>)> {
    let fs = s3s_fs::FileSystem::new(root).map_err(|e| std::io::Error::other(format!("s3s-fs: {e:?}")))?;
    let fs = AclFileSystem::new(fs, acl::owner_of(access_key), root);
    let acls = fs.acls();
    let mut builder = S3ServiceBuilder::new(fs);
    builder.set_auth(SimpleAuth::from_single(access_key, secret_key));
    builder.set_access(Confine::new(root));
    Ok((builder, acls))
}

/// A key pair for a local server.
#[derive(Clone, PartialEq, Eq)]
pub struct KeyPair {
    /// 20 characters, `LOCAL` and 15 random letters and digits.
    pub access_key: String,
    /// 40 random characters of base64's alphabet.
    pub secret_key: String,
}

impl KeyPair {
    /// A fresh pair from the operating system's random source (about 238
    /// random bits in the secret key).
    pub fn random() -> std::io::Result<Self> {
        const UPPER: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        const SECRET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut bytes = [0u8; 55];
        getrandom::fill(&mut bytes).map_err(|e| std::io::Error::other(format!("no random source: {e}")))?;
        let (access, secret) = bytes.split_at(15);
        let pick = |alphabet: &[u8], b: &u8| char::from(alphabet[usize::from(*b) % alphabet.len()]);
        Ok(Self {
            access_key: std::iter::once("LOCAL".to_owned())
                .chain(access.iter().map(|b| pick(UPPER, b).to_string()))
                .collect(),
            secret_key: secret.iter().map(|b| pick(SECRET, b)).collect(),
        })
    }
}

impl std::fmt::Debug for KeyPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyPair")
            .field("access_key", &self.access_key)
            .field("secret_key", &"<masked>")
            .finish()
    }
}

/// Makes bucket `name` under `root` for s3s-fs: a directory. The name must
/// be a valid S3 bucket name (s3s-fs ignores other directories); the error
/// says which rule it breaks, in the words the connector uses for
/// `bucket_name`.
pub fn create_bucket_dir(root: &Path, name: &str) -> std::io::Result<()> {
    let invalid = |message: String| std::io::Error::new(std::io::ErrorKind::InvalidInput, message);
    if let Err(error) = s3_connector::validate::bucket_name(name) {
        return Err(invalid(match error.into_kind() {
            s3_connector::error::ErrorKind::InvalidInput { message, .. } => message,
            other => other.to_string(),
        }));
    }
    if !s3s::path::check_bucket_name(name) {
        return Err(invalid(format!("`{name}` is not a bucket name s3s-fs serves")));
    }
    std::fs::create_dir_all(root.join(name))
}

impl Drop for LocalServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn unsigned_request_is_refused_and_server_stops_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let server = LocalServer::start(dir.path()).unwrap();
        server.create_bucket("some-bucket").unwrap();
        assert!(dir.path().join("some-bucket").is_dir());
        let endpoint = server.endpoint().to_owned();
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .new_agent();
        let response = agent.get(&format!("{endpoint}/")).call().unwrap();
        assert_eq!(response.status().as_u16(), 403);
        drop(server);
        assert!(agent.get(&format!("{endpoint}/")).call().is_err());
    }

    #[test]
    fn each_server_has_its_own_random_key_pair() {
        let dir = tempfile::tempdir().unwrap();
        let a = LocalServer::start(dir.path()).unwrap();
        let b = LocalServer::start(dir.path()).unwrap();
        assert_ne!(a.access_key(), b.access_key());
        assert_ne!(a.secret_key(), b.secret_key());
        assert_eq!((a.access_key().len(), a.secret_key().len()), (20, 40));
        let pair = KeyPair::random().unwrap();
        assert!(!format!("{pair:?}").contains(&pair.secret_key));
    }

    #[test]
    fn invalid_bucket_name_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let error = create_bucket_dir(dir.path(), "Not_Valid").unwrap_err();
        assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput);
        assert!(error.to_string().contains("`Not_Valid`"), "{error}");
        let error = create_bucket_dir(dir.path(), "ab").unwrap_err();
        assert!(
            error.to_string().contains("must be 3 to 63 characters long"),
            "{error}"
        );
        assert!(create_bucket_dir(dir.path(), "../escape").is_err());
    }
}
