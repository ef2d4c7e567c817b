//! List Objects (v1) and List Objects V2 for the local server, from one walk
//! of the bucket's directory on a blocking thread.
//!
//! s3s-fs 0.14.1 walks the directory with `tokio::fs`, where every entry
//! costs several trips to the blocking pool (the next entry, its type, its
//! metadata): about 38 ms for a page of 1000 keys. Here the whole walk runs
//! in one `spawn_blocking` task with `std::fs`, and the answers are the ones
//! s3s-fs gives, which clients of this server already rely on (the
//! differential test at the bottom checks them against s3s-fs's):
//! - An object is any entry under the bucket's directory that is not a
//!   directory, its key the names on its path joined by `/`. A path that is
//!   not UTF-8 is skipped; an empty directory (a folder marker such as
//!   `photos/`, which s3s-fs keeps as a directory) lists nothing. A symbolic
//!   link is an object of its own size and date: it is never followed, and
//!   a link to a directory is not walked through (see [`super::confine`]).
//! - Keys come in byte order. Each object has its key, size and last
//!   modified date, no ETag, storage class or owner (`FetchOwner` is
//!   ignored). `EncodingType` is echoed and the keys are sent unencoded.
//! - The prefix is matched without its leading `/`s (and echoed as sent).
//! - With a delimiter, a key whose rest after the prefix holds it is rolled
//!   up into a common prefix that ends with the delimiter's first
//!   character: s3s-fs keeps one byte of it, so with `--` the key `a--b`
//!   rolls up into `a-`. S3 keeps the whole delimiter.
//! - `StartAfter` and `ContinuationToken` are both resume points, the later
//!   one wins, and entries (keys and common prefixes) after it are listed.
//!   The token is the last entry of the page before, as it is.
//! - `MaxKeys` defaults to 1000 and is not capped (S3 caps it at 1000); a
//!   negative value reads as 1000; 0 answers an empty page, not truncated.
//! - List Objects (v1) reads `Marker` as `StartAfter`, does not echo it, and
//!   gives `NextMarker` whenever the page is truncated (S3 gives it only with
//!   a delimiter).
//! - A missing bucket directory answers `NoSuchBucket`; a directory that
//!   cannot be read answers `InternalError`.
//!
//! Where s3s-fs has no answer (its task panics and the connection drops),
//! the same rules are taken to whole characters: a delimiter whose first
//! character is not ASCII (`é`) rolls up to that character; an empty
//! delimiter rolls up to the first character after the prefix, and a key
//! equal to the prefix is listed as an object. A link (or another entry that
//! is neither file nor directory) outside the prefix is not listed: with a
//! delimiter, s3s-fs panics on one shorter than the prefix and lists a
//! longer one (or a common prefix made from it) although it does not match.
//!
//! Directories that cannot hold a key under the prefix are not read, so an
//! unreadable one there does not fail the listing as it would in s3s-fs
//! without a delimiter; and only the keys listed as objects after the
//! resume point are asked for their metadata.
//!
//! <https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html>,
//! <https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjects.html>

use std::collections::BTreeSet;
use std::fs::DirEntry;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use s3s::dto::{
    CommonPrefix, ListObjectsInput, ListObjectsOutput, ListObjectsV2Input, ListObjectsV2Output, Object,
    Timestamp,
};
use s3s::{s3_error, S3Result};

/// The page size when the request names none, as S3's.
const DEFAULT_MAX_KEYS: i32 = 1000;

/// List Objects V2 on the bucket `input.bucket` kept under `root`: one page
/// of keys and common prefixes, as s3s-fs answers it (see the module docs).
///
/// <https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html>
pub async fn list_objects_v2(root: &Path, input: ListObjectsV2Input) -> S3Result<ListObjectsV2Output> {
    let dir = bucket_dir(root, &input.bucket)?;
    tokio::task::spawn_blocking(move || page(&dir, input))
        .await
        .map_err(|e| s3_error!(InternalError, "the listing stopped: {e}"))?
}

/// List Objects (v1) on the bucket `input.bucket` kept under `root`: List
/// Objects V2 with `Marker` as `StartAfter`, and `NextMarker` set to the
/// last entry of a truncated page (see the module docs).
///
/// <https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjects.html>
pub async fn list_objects(root: &Path, input: ListObjectsInput) -> S3Result<ListObjectsOutput> {
    let v2 = list_objects_v2(root, input.into()).await?;
    Ok(ListObjectsOutput {
        name: v2.name,
        prefix: v2.prefix,
        delimiter: v2.delimiter,
        encoding_type: v2.encoding_type,
        max_keys: v2.max_keys,
        is_truncated: v2.is_truncated,
        next_marker: v2.next_continuation_token,
        contents: v2.contents,
        common_prefixes: v2.common_prefixes,
        ..ListObjectsOutput::default()
    })
}

/// The directory of `bucket` under `root`, checked: the name is a bucket
/// name (s3s refuses other names before any operation runs), the directory
/// exists, and it is no symbolic link ([`super::confine`] refuses a linked
/// bucket first; this keeps the walk from following one if it is called
/// without it).
fn bucket_dir(root: &Path, bucket: &str) -> S3Result<PathBuf> {
    if !s3s::path::check_bucket_name(bucket) {
        return Err(s3_error!(InvalidBucketName));
    }
    let dir = root.join(bucket);
    match std::fs::symlink_metadata(&dir) {
        // s3s-fs asks whether the path exists: any failure reads as "no".
        Err(_) => Err(s3_error!(NoSuchBucket)),
        Ok(meta) if meta.file_type().is_symlink() => Err(s3_error!(
            AccessDenied,
            "the bucket's directory is a symbolic link; the local server does not follow links"
        )),
        // A file where the directory should be fails to be read, below.
        Ok(_) => Ok(dir),
    }
}

/// What a listing asks for, taken from its input.
struct Query<'a> {
    /// The prefix without its leading `/`s.
    prefix: &'a str,
    delimiter: Option<&'a str>,
    /// Entries at or before it are left out.
    resume_after: Option<&'a str>,
}

impl Query<'_> {
    /// Whether a directory whose key (with its trailing `/`) is `dir_key`
    /// may hold a key under the prefix: one of the two begins the other.
    fn may_hold_matches(&self, dir_key: &str) -> bool {
        dir_key.starts_with(self.prefix) || self.prefix.starts_with(dir_key)
    }

    /// Whether an entry (key or common prefix) comes after the resume point.
    fn after_resume_point(&self, entry: &str) -> bool {
        self.resume_after.is_none_or(|point| entry > point)
    }

    /// The common prefix `key` (which begins with the prefix) rolls up
    /// into, if the delimiter occurs after the prefix: the key up to the
    /// delimiter's first character.
    fn rolled_up<'k>(&self, key: &'k str) -> Option<&'k str> {
        let delimiter = self.delimiter?;
        let start = self.prefix.len();
        let rest = key.get(start..)?;
        let at = rest.find(delimiter)?;
        let first = rest.get(at..)?.chars().next()?;
        key.get(..start + at + first.len_utf8())
    }
}

/// An object found by the walk.
struct Found {
    key: String,
    size: u64,
    modified: SystemTime,
}

/// Everything under the prefix and after the resume point, unsorted.
#[derive(Default)]
struct Walked {
    objects: Vec<Found>,
    common_prefixes: BTreeSet<String>,
}

/// Walks `dir` (the bucket's directory) for `query`: depth first, never
/// through a symbolic link, skipping directories that cannot hold a key
/// under the prefix.
fn walk(dir: &Path, query: &Query<'_>) -> std::io::Result<Walked> {
    let mut walked = Walked::default();
    // Each directory to read, with the key of what it holds (`a/b/`).
    let mut pending = vec![(dir.to_path_buf(), String::new())];
    while let Some((dir, dir_key)) = pending.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let entry = entry?;
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            let key = format!("{dir_key}{name}");
            // The type of the entry itself, as the directory gives it: a
            // link is a link, whatever it points at.
            if entry.file_type()?.is_dir() {
                let inner_key = key + "/";
                if query.may_hold_matches(&inner_key) {
                    pending.push((entry.path(), inner_key));
                }
                continue;
            }
            if !key.starts_with(query.prefix) {
                continue;
            }
            if let Some(common) = query.rolled_up(&key) {
                if query.after_resume_point(common) && !walked.common_prefixes.contains(common) {
                    walked.common_prefixes.insert(common.to_owned());
                }
            } else if query.after_resume_point(&key) {
                walked.objects.push(found(&entry, key)?);
            }
        }
    }
    Ok(walked)
}

/// The object `key` found as `entry`, with its size and date (the entry's
/// own, not followed if it is a link).
fn found(entry: &DirEntry, key: String) -> std::io::Result<Found> {
    let meta = entry.metadata()?;
    Ok(Found {
        key,
        size: meta.len(),
        modified: meta.modified()?,
    })
}

/// One page of List Objects V2 on the bucket directory `dir`.
fn page(dir: &Path, input: ListObjectsV2Input) -> S3Result<ListObjectsV2Output> {
    let max_keys = input.max_keys.unwrap_or(DEFAULT_MAX_KEYS);
    let limit = usize::try_from(max_keys).unwrap_or(1000);
    let resume_after = match (input.continuation_token.as_deref(), input.start_after.as_deref()) {
        (Some(token), Some(start)) => Some(token.max(start)),
        (token, start) => token.or(start),
    };
    let query = Query {
        prefix: input.prefix.as_deref().unwrap_or("").trim_start_matches('/'),
        delimiter: input.delimiter.as_deref(),
        resume_after,
    };
    let Walked {
        mut objects,
        common_prefixes,
    } = walk(dir, &query).map_err(|e| s3_error!(InternalError, "the bucket cannot be read: {e}"))?;
    objects.sort_unstable_by(|a, b| a.key.cmp(&b.key));

    // Keys and common prefixes merged in order, a common prefix first when
    // it equals a key (which a delimiter longer than one byte can make).
    let mut objects = objects.into_iter().peekable();
    let mut prefixes = common_prefixes.into_iter().peekable();
    let (mut contents, mut rolled, mut last) = (Vec::new(), Vec::new(), None);
    while contents.len() + rolled.len() < limit {
        let take_object = match (objects.peek(), prefixes.peek()) {
            (Some(object), Some(prefix)) => object.key < *prefix,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (None, None) => break,
        };
        if take_object {
            if let Some(object) = objects.next() {
                last = Some(object.key.clone());
                contents.push(object_of(object)?);
            }
        } else if let Some(prefix) = prefixes.next() {
            last = Some(prefix.clone());
            rolled.push(CommonPrefix { prefix: Some(prefix) });
        }
    }
    let is_truncated = limit > 0 && (objects.peek().is_some() || prefixes.peek().is_some());
    let key_count = i32::try_from(contents.len() + rolled.len())
        .map_err(|e| s3_error!(InternalError, "too many keys in a page: {e}"))?;
    Ok(ListObjectsV2Output {
        name: Some(input.bucket),
        prefix: input.prefix,
        delimiter: input.delimiter,
        encoding_type: input.encoding_type,
        max_keys: Some(max_keys),
        key_count: Some(key_count),
        is_truncated: Some(is_truncated),
        continuation_token: input.continuation_token,
        next_continuation_token: if is_truncated { last } else { None },
        start_after: input.start_after,
        contents: (!contents.is_empty()).then_some(contents),
        common_prefixes: (!rolled.is_empty()).then_some(rolled),
        ..ListObjectsV2Output::default()
    })
}

/// The listed form of an object found.
fn object_of(found: Found) -> S3Result<Object> {
    let size = i64::try_from(found.size)
        .map_err(|e| s3_error!(InternalError, "the size of `{}`: {e}", found.key))?;
    Ok(Object {
        key: Some(found.key),
        size: Some(size),
        last_modified: Some(Timestamp::from(found.modified)),
        ..Object::default()
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use s3s::{S3Request, S3};
    use std::os::unix::ffi::OsStrExt;

    const BUCKET: &str = "listing-bucket";

    fn request<T>(input: T) -> S3Request<T> {
        S3Request {
            input,
            method: "GET".parse().unwrap(),
            uri: format!("/{BUCKET}").parse().unwrap(),
            headers: Default::default(),
            extensions: Default::default(),
            credentials: None,
            region: None,
            service: None,
            trailing_headers: None,
        }
    }

    /// One listing's answer from either side: the page, or the error's code.
    #[derive(Debug, PartialEq)]
    enum Answer<T> {
        Page(T),
        Error(String),
    }

    fn answer<T>(result: S3Result<T>) -> Answer<T> {
        match result {
            Ok(page) => Answer::Page(page),
            Err(e) => Answer::Error(e.code().as_str().to_owned()),
        }
    }

    /// The two servers side by side on one root.
    struct Pair {
        root: PathBuf,
        reference: std::sync::Arc<s3s_fs::FileSystem>,
        /// Listings compared, and the delimiters of those s3s-fs had no
        /// answer to.
        compared: usize,
        unanswered: Vec<Option<String>>,
    }

    impl Pair {
        fn new(root: &Path) -> Self {
            silence_s3s_fs_panics();
            Self {
                root: root.to_path_buf(),
                reference: std::sync::Arc::new(s3s_fs::FileSystem::new(root).unwrap()),
                compared: 0,
                unanswered: Vec::new(),
            }
        }

        /// s3s-fs's answer to a V2 listing, `None` if it panicked.
        async fn reference_v2(&self, input: ListObjectsV2Input) -> Option<Answer<ListObjectsV2Output>> {
            let fs = std::sync::Arc::clone(&self.reference);
            let task = tokio::spawn(async move { fs.list_objects_v2(request(input)).await });
            match task.await {
                Ok(result) => Some(answer(result.map(|r| r.output))),
                Err(e) if e.is_panic() => None,
                Err(e) => panic!("{e}"),
            }
        }

        async fn reference_v1(&self, input: ListObjectsInput) -> Option<Answer<ListObjectsOutput>> {
            let fs = std::sync::Arc::clone(&self.reference);
            let task = tokio::spawn(async move { fs.list_objects(request(input)).await });
            match task.await {
                Ok(result) => Some(answer(result.map(|r| r.output))),
                Err(e) if e.is_panic() => None,
                Err(e) => panic!("{e}"),
            }
        }

        /// Lists with V2 on both sides, following the pages to the end;
        /// panics on the first answer that differs.
        async fn compare_v2(&mut self, first: ListObjectsV2Input) {
            let mut input = first;
            for _ in 0..1000 {
                let ours = answer(list_objects_v2(&self.root, input.clone()).await);
                let Some(theirs) = self.reference_v2(input.clone()).await else {
                    assert!(matches!(ours, Answer::Page(_)), "{input:?}: {ours:?}");
                    self.unanswered.push(input.delimiter.clone());
                    return;
                };
                assert_eq!(ours, theirs, "V2 {input:?}");
                self.compared += 1;
                match ours {
                    Answer::Page(ListObjectsV2Output {
                        next_continuation_token: Some(token),
                        ..
                    }) => input.continuation_token = Some(token),
                    _ => return,
                }
            }
            panic!("more than 1000 pages: {input:?}");
        }

        /// Lists with v1 on both sides, following `NextMarker` to the end.
        async fn compare_v1(&mut self, first: ListObjectsInput) {
            let mut input = first;
            for _ in 0..1000 {
                let ours = answer(list_objects(&self.root, input.clone()).await);
                let Some(theirs) = self.reference_v1(input.clone()).await else {
                    assert!(matches!(ours, Answer::Page(_)), "{input:?}: {ours:?}");
                    self.unanswered.push(input.delimiter.clone());
                    return;
                };
                assert_eq!(ours, theirs, "v1 {input:?}");
                self.compared += 1;
                match ours {
                    Answer::Page(ListObjectsOutput {
                        next_marker: Some(marker),
                        ..
                    }) => input.marker = Some(marker),
                    _ => return,
                }
            }
            panic!("more than 1000 pages: {input:?}");
        }
    }

    /// s3s-fs panics on some listings (see the module docs); the tests
    /// expect it, so its panic messages are not printed. Others are.
    fn silence_s3s_fs_panics() {
        static ONCE: std::sync::Once = std::sync::Once::new();
        ONCE.call_once(|| {
            let previous = std::panic::take_hook();
            std::panic::set_hook(Box::new(move |info| {
                let in_s3s_fs = info.location().is_some_and(|l| l.file().contains("s3s-fs"));
                if !in_s3s_fs {
                    previous(info);
                }
            }));
        });
    }

    fn write(bucket: &Path, key: &str, bytes: usize) {
        let path = bucket.join(key);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, vec![b'x'; bytes]).unwrap();
    }

    /// Keys that differ by little: nested folders, shared prefixes, names
    /// sorting on either side of `/`, unicode, spaces, `+` and `%`, keys
    /// holding the delimiters tried, dot names, and more than one page.
    const KEYS: &[&str] = &[
        "top.txt",
        ".hidden",
        "a!",
        "a-b/f.txt",
        "a.b",
        "a/b.txt",
        "a/b/c.txt",
        "a/b/d.txt",
        "a/bc/e.txt",
        "a/.dot/g",
        "a0",
        "a~",
        "ab",
        "abc/x",
        "deep/1/2/3/4/leaf",
        "日本/語.txt",
        "é/ü",
        "émoji-😀.txt",
        "with space/file name.txt",
        "with space.txt",
        "a+b",
        "plus/+/x",
        "100%/x",
        "%2F",
        "pct%20.txt",
        "x--y/z",
        "x--",
        "x-/y",
        "x/-",
        "t-",
        "t--u",
        "b",
        "bb/b",
        "z/",
    ];

    /// A bucket holding [`KEYS`] (`z/` as the directory s3s-fs makes for a
    /// folder marker), 25 keys `many/key-NNNN`, empty directories, and
    /// names that are not UTF-8 (which no listing shows).
    fn awkward_tree(root: &Path) {
        let bucket = root.join(BUCKET);
        for (i, key) in KEYS.iter().enumerate() {
            if let Some(folder) = key.strip_suffix('/') {
                std::fs::create_dir_all(bucket.join(folder)).unwrap();
            } else {
                write(&bucket, key, i);
            }
        }
        for i in 0..25 {
            write(&bucket, &format!("many/key-{i:04}"), 1);
        }
        std::fs::create_dir_all(bucket.join("empty")).unwrap();
        std::fs::create_dir_all(bucket.join("a/empty/deeper")).unwrap();
        let bad = std::ffi::OsStr::from_bytes(b"bad\xff");
        std::fs::write(bucket.join(bad), b"x").unwrap();
        std::fs::create_dir_all(bucket.join("with-bad").join(bad)).unwrap();
        std::fs::write(bucket.join("with-bad").join(bad).join("k"), b"x").unwrap();
        std::fs::write(bucket.join("with-bad/ok"), b"x").unwrap();
        // The server's own files lie beside the buckets, not in them.
        std::fs::write(
            root.join(".bucket-bGlzdGluZy1idWNrZXQ.object-dG9w.metadata.json"),
            b"{}",
        )
        .unwrap();
    }

    fn v2(prefix: Option<&str>, delimiter: Option<&str>, max_keys: Option<i32>) -> ListObjectsV2Input {
        ListObjectsV2Input {
            bucket: BUCKET.to_owned(),
            prefix: prefix.map(str::to_owned),
            delimiter: delimiter.map(str::to_owned),
            max_keys,
            ..ListObjectsV2Input::default()
        }
    }

    fn v1(prefix: Option<&str>, delimiter: Option<&str>, max_keys: Option<i32>) -> ListObjectsInput {
        ListObjectsInput {
            bucket: BUCKET.to_owned(),
            prefix: prefix.map(str::to_owned),
            delimiter: delimiter.map(str::to_owned),
            max_keys,
            ..ListObjectsInput::default()
        }
    }

    const PREFIXES: &[Option<&str>] = &[
        None,
        Some(""),
        Some("/"),
        Some("//a"),
        Some("a"),
        Some("a/"),
        Some("a/b"),
        Some("a/b/"),
        Some("a/b/c.txt"),
        Some("a/b/c.txt/"),
        Some("many/"),
        Some("many/key-001"),
        Some("日"),
        Some("é"),
        Some("with space"),
        Some("plus/+"),
        Some("100%"),
        Some("x-"),
        Some("nothing-here"),
    ];

    const DELIMITERS: &[Option<&str>] = &[
        None,
        Some("/"),
        Some("-"),
        Some("+"),
        Some("%"),
        Some("--"),
        Some("b"),
        Some("."),
        Some(""),
        Some("é"),
    ];

    #[tokio::test]
    async fn pages_match_s3s_fs_over_a_grid_of_awkward_keys() {
        let dir = tempfile::tempdir().unwrap();
        awkward_tree(dir.path());
        let mut pair = Pair::new(dir.path());
        for &prefix in PREFIXES {
            for &delimiter in DELIMITERS {
                for max_keys in [None, Some(0), Some(3), Some(1000), Some(-1)] {
                    pair.compare_v2(v2(prefix, delimiter, max_keys)).await;
                    pair.compare_v1(v1(prefix, delimiter, max_keys)).await;
                }
                for start_after in ["", "a", "a/b", "many/key-0011", "é", "zzzz"] {
                    let input = ListObjectsV2Input {
                        start_after: Some(start_after.to_owned()),
                        ..v2(prefix, delimiter, Some(7))
                    };
                    pair.compare_v2(input).await;
                    let input = ListObjectsInput {
                        marker: Some(start_after.to_owned()),
                        ..v1(prefix, delimiter, Some(7))
                    };
                    pair.compare_v1(input).await;
                }
            }
        }
        // One entry a page, to the end: every boundary between pages, such
        // as one between a key and the equal common prefix that `--` makes
        // (`t-`, from `t--u`).
        for &delimiter in DELIMITERS {
            pair.compare_v2(v2(None, delimiter, Some(1))).await;
            pair.compare_v1(v1(None, delimiter, Some(1))).await;
        }
        // A token a client made up, before or after StartAfter: the later
        // one is where the listing resumes.
        for (token, start_after) in [("a", "m"), ("m", "a"), ("many/", "many/key-0020"), ("", "")] {
            let input = ListObjectsV2Input {
                continuation_token: Some(token.to_owned()),
                start_after: Some(start_after.to_owned()),
                ..v2(None, Some("/"), Some(4))
            };
            pair.compare_v2(input).await;
        }
        // EncodingType, FetchOwner and the rest are echoed or ignored alike.
        let input = ListObjectsV2Input {
            encoding_type: Some(s3s::dto::EncodingType::from_static(s3s::dto::EncodingType::URL)),
            fetch_owner: Some(true),
            ..v2(Some("a"), Some("/"), None)
        };
        pair.compare_v2(input).await;
        let input = ListObjectsInput {
            encoding_type: Some(s3s::dto::EncodingType::from_static(s3s::dto::EncodingType::URL)),
            ..v1(Some("a"), Some("/"), None)
        };
        pair.compare_v1(input).await;

        // s3s-fs panics only where a delimiter is empty or not ASCII.
        for delimiter in &pair.unanswered {
            assert!(matches!(delimiter.as_deref(), Some("" | "é")), "{delimiter:?}");
        }
        println!(
            "{} pages compared; s3s-fs had no answer to {} listings",
            pair.compared,
            pair.unanswered.len()
        );
        assert!(pair.compared > 3000, "{} pages compared", pair.compared);
    }

    #[tokio::test]
    async fn errors_match_s3s_fs() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("plain-file"), b"x").unwrap();
        let mut pair = Pair::new(dir.path());
        for bucket in ["no-such-bucket", "plain-file"] {
            let input = ListObjectsV2Input {
                bucket: bucket.to_owned(),
                ..ListObjectsV2Input::default()
            };
            pair.compare_v2(input).await;
            let input = ListObjectsInput {
                bucket: bucket.to_owned(),
                ..ListObjectsInput::default()
            };
            pair.compare_v1(input).await;
        }
        let missing = list_objects_v2(dir.path(), v2(None, None, None)).await;
        assert_eq!(answer(missing), Answer::Error("NoSuchBucket".to_owned()));
        let file = ListObjectsV2Input {
            bucket: "plain-file".to_owned(),
            ..ListObjectsV2Input::default()
        };
        let file = list_objects_v2(dir.path(), file).await;
        assert_eq!(answer(file), Answer::Error("InternalError".to_owned()));
    }

    #[tokio::test]
    async fn links_are_listed_as_themselves_and_never_followed() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        write(outside.path(), "secret/inner.txt", 5000);
        let bucket = dir.path().join(BUCKET);
        write(&bucket, "real/file.txt", 3);
        std::os::unix::fs::symlink(outside.path().join("secret"), bucket.join("real/dir-link")).unwrap();
        std::os::unix::fs::symlink(outside.path().join("secret/inner.txt"), bucket.join("file-link"))
            .unwrap();
        let mut pair = Pair::new(dir.path());
        // Where s3s-fs answers (no delimiter, or every link under the
        // prefix), the answers are the same.
        for prefix in [None, Some("real/"), Some("real/dir"), Some("file"), Some("zzz")] {
            pair.compare_v2(v2(prefix, None, None)).await;
            pair.compare_v1(v1(prefix, None, None)).await;
        }
        for (prefix, delimiter) in [(None, "/"), (Some(""), "/"), (None, "-"), (None, "k")] {
            pair.compare_v2(v2(prefix, Some(delimiter), None)).await;
        }
        let all = list_objects_v2(dir.path(), v2(None, None, None)).await.unwrap();
        let listed: Vec<_> = all
            .contents
            .unwrap()
            .into_iter()
            .map(|o| (o.key.unwrap(), o.size.unwrap()))
            .collect();
        let link_size = |link: &str| std::fs::symlink_metadata(bucket.join(link)).unwrap().len();
        let link_size = |link| i64::try_from(link_size(link)).unwrap();
        assert_eq!(
            listed,
            [
                ("file-link".to_owned(), link_size("file-link")),
                ("real/dir-link".to_owned(), link_size("real/dir-link")),
                ("real/file.txt".to_owned(), 3),
            ],
            "nothing from the link's target"
        );
        // A link outside the prefix: s3s-fs's task panics or lists it;
        // here it is not listed.
        let page = list_objects_v2(dir.path(), v2(Some("real/"), Some("/"), None))
            .await
            .unwrap();
        let keys: Vec<_> = page
            .contents
            .unwrap()
            .into_iter()
            .map(|o| o.key.unwrap())
            .collect();
        assert_eq!(keys, ["real/dir-link", "real/file.txt"]);
        let page = list_objects_v2(dir.path(), v2(Some("zzzzzz"), Some("/"), None))
            .await
            .unwrap();
        assert_eq!((page.contents, page.key_count), (None, Some(0)));
    }

    #[tokio::test]
    async fn a_linked_bucket_directory_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        write(outside.path(), "k", 1);
        std::os::unix::fs::symlink(outside.path(), dir.path().join(BUCKET)).unwrap();
        let answer = answer(list_objects_v2(dir.path(), v2(None, None, None)).await);
        assert_eq!(answer, Answer::Error("AccessDenied".to_owned()));
    }

    #[test]
    fn a_delimiter_rolls_up_to_its_first_character() {
        let query = |prefix, delimiter| Query {
            prefix,
            delimiter: Some(delimiter),
            resume_after: None,
        };
        assert_eq!(query("", "/").rolled_up("a/b/c"), Some("a/"));
        assert_eq!(query("a/", "/").rolled_up("a/b/c"), Some("a/b/"));
        assert_eq!(query("a/", "/").rolled_up("a/b"), None);
        assert_eq!(query("", "--").rolled_up("x--y"), Some("x-"));
        assert_eq!(query("", "é").rolled_up("aéb"), Some("aé"));
        assert_eq!(query("", "").rolled_up("日本"), Some("日"));
        assert_eq!(query("ab", "").rolled_up("ab"), None);
    }
}
