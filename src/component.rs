//! The WIT glue, and nothing else: the bindings, the exported functions,
//! the conversions of the connection, errors and bodies, the clock read and
//! the [`Transport`] that sends through the host's `http-outgoing` import.
//!
//! The typed exports take and return the core's own records (`crate::model`,
//! which the bindings use in place of WIT twins): each builds a [`Client`]
//! and runs the operation's `ops::<op>::run`; the JSON face hands the call to
//! [`crate::json::invoke`]. An error is set aside ([`Deferred`]) and lowered
//! after the export returns, by one function for all of them. Logic a native
//! test would want lives in the core.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use time::OffsetDateTime;

use crate::client::{Client, InstanceState};
use crate::connection::{Connection, Credentials, Endpoint, Region};
use crate::error::{Error, ErrorKind, ServiceError, UploadFailure};
use crate::http::{BodyError, HttpRequest, HttpResponse, Method, Transport, TransportError};
use crate::model;
use crate::ops::{self, Operation};

use bindings::exports::s3_connector::s3::{json as wit_json, operations};
use bindings::s3_connector::s3::bodies as wit_bodies;
use bindings::s3_connector::s3::http_outgoing as wit_http;
use bindings::s3_connector::s3::types as wit;

/// The generated bindings and the exported entry points. They are FFI and
/// use `unsafe`, which is allowed here and nowhere else.
#[allow(unsafe_code)]
mod bindings {
    use super::Component;

    wit_bindgen::generate!({
        world: "connector",
        path: "wit",
        ownership: Borrowing { duplicate_if_necessary: true },
        // The records and enums of `types` that the core declares in
        // `crate::model` are the bindings' own types: a typed call lifts its
        // input straight into the core's type and lowers the core's output
        // as it is, with no conversion between twins. A record missing here
        // would be generated, and the exports, which name the core's types,
        // would not compile; a name that is not in the WIT is an error of
        // wit-bindgen. Enums are lifted by `_lift` below. S3's error codes
        // and the transport's errors are the wire crate's types, whose
        // cases are the WIT's.
        with: {
            "s3-connector:s3/types@0.1.0/error-code": crate::error::ErrorCode,
            "s3-connector:s3/http-outgoing@0.1.0/transport-error": crate::http::TransportError,
            "s3-connector:s3/types@0.1.0/byte-range": crate::model::ByteRange,
            "s3-connector:s3/types@0.1.0/object-metadata": crate::model::ObjectMetadata,
            "s3-connector:s3/types@0.1.0/bucket": crate::model::Bucket,
            "s3-connector:s3/types@0.1.0/dropdown-item": crate::model::DropdownItem,
            "s3-connector:s3/types@0.1.0/list-objects-input": crate::model::ListObjectsInput,
            "s3-connector:s3/types@0.1.0/object-summary": crate::model::ObjectSummary,
            "s3-connector:s3/types@0.1.0/list-objects-output": crate::model::ListObjectsOutput,
            "s3-connector:s3/types@0.1.0/object-ref": crate::model::ObjectRef,
            "s3-connector:s3/types@0.1.0/get-object-input": crate::model::GetObjectInput,
            "s3-connector:s3/types@0.1.0/get-object-output": crate::model::GetObjectOutput,
            "s3-connector:s3/types@0.1.0/signed-url-input": crate::model::SignedUrlInput,
            "s3-connector:s3/types@0.1.0/signed-url": crate::model::SignedUrl,
            "s3-connector:s3/types@0.1.0/put-object-text-input": crate::model::PutObjectTextInput,
            "s3-connector:s3/types@0.1.0/put-object-file-input": crate::model::PutObjectFileInput,
            "s3-connector:s3/types@0.1.0/put-object-output": crate::model::PutObjectOutput,
            "s3-connector:s3/types@0.1.0/upload-options": crate::model::UploadOptions,
            "s3-connector:s3/types@0.1.0/put-object-stream-input": crate::model::PutObjectStreamInput,
            "s3-connector:s3/types@0.1.0/multipart-upload": crate::model::MultipartUpload,
            "s3-connector:s3/types@0.1.0/list-multipart-uploads-input": crate::model::ListMultipartUploadsInput,
            "s3-connector:s3/types@0.1.0/abort-multipart-upload-input": crate::model::AbortMultipartUploadInput,
            "s3-connector:s3/types@0.1.0/put-object-acl-input": crate::model::PutObjectAclInput,
            "s3-connector:s3/types@0.1.0/delete-object-output": crate::model::DeleteObjectOutput,
            "s3-connector:s3/types@0.1.0/object-identifier": crate::model::ObjectIdentifier,
            "s3-connector:s3/types@0.1.0/delete-objects-input": crate::model::DeleteObjectsInput,
            "s3-connector:s3/types@0.1.0/canned-acl": crate::model::CannedAcl,
            "s3-connector:s3/types@0.1.0/presign-method": crate::model::PresignMethod,
            "s3-connector:s3/types@0.1.0/payload-signing": crate::model::PayloadSigning,
        },
    });

    use exports::s3_connector::s3::{json, operations};

    /// The exports: wit-bindgen's own functions, each followed by
    /// [`lower_error`], in place of its `export!`. wit-bindgen
    /// writes each export's lowering of `error` out in full (some 3 KB, with
    /// its service, transport and upload cases); the exports hand back a
    /// placeholder instead (see [`super::Deferred`]), whose lowering is a
    /// few stores, and the error is lowered once for all of them. In the
    /// same way each post-return of a `result` ([`result`]) frees an `err`
    /// through one function for all of them; those of `operations` and
    /// `describe`, which return no `result`, free as they are ([`plain`]).
    macro_rules! exports {
        ($interface:ident $wit:literal $lower:ident {
            $( $name:literal => $export:ident, $post_return:ident ( $($arg:ident : $ty:ty),* ) $free:ident; )*
        }) => {$(
            const _: () = {
                #[unsafe(export_name = concat!("s3-connector:s3/", $wit, "@0.1.0#", $name))]
                unsafe extern "C" fn export($($arg: $ty),*) -> *mut u8 {
                    unsafe { $lower($interface::$export::<Component>($($arg),*)) }
                }

                #[unsafe(export_name = concat!("cabi_post_s3-connector:s3/", $wit, "@0.1.0#", $name))]
                unsafe extern "C" fn post_return(ret: *mut u8) {
                    unsafe { $free(ret, $interface::$post_return::<Component>) }
                }
            };
        )*};
    }

    /// Frees the result at `ret` of an export that returns no `result`.
    ///
    /// # Safety
    /// `ret` is where that export's result was lowered.
    #[inline(always)]
    unsafe fn plain(ret: *mut u8, free: unsafe fn(*mut u8)) {
        unsafe { free(ret) }
    }

    /// Frees the `result<T, error>` at `ret`: an `err` by [`free_error`],
    /// shared by every export, and an `ok` by the export's own post-return,
    /// which, inlined here where its case is known, keeps no copy of the
    /// freeing of `error` (wit-bindgen writes one into every post-return).
    ///
    /// # Safety
    /// `ret` is where that export's result was lowered.
    #[inline(always)]
    unsafe fn result(ret: *mut u8, free: unsafe fn(*mut u8)) {
        // The case byte of `result`: 0 for `ok`.
        if unsafe { *ret } == 0 {
            unsafe { free(ret) }
        } else {
            unsafe { free_error(ret) }
        }
    }

    /// Frees the `err` of a `result<T, error>` at `ret`, whatever `T`:
    /// `error` is at the same offset in every one (see [`lower_error`]),
    /// so `list-buckets`' post-return frees it for all.
    ///
    /// # Safety
    /// `ret` holds a lowered `err`.
    #[inline(never)]
    unsafe fn free_error(ret: *mut u8) {
        unsafe { operations::__post_return_list_buckets::<Component>(ret) }
    }

    exports! { json "json" lower_error {
        "invoke" => _export_invoke_cabi, __post_return_invoke(a0: *mut u8) result;
        "operations" => _export_operations_cabi, __post_return_operations() plain;
        "describe" => _export_describe_cabi, __post_return_describe() plain;
        "policy" => _export_policy_cabi, __post_return_policy(
            a0: *mut u8, a1: usize, a2: i32, a3: *mut u8, a4: usize
        ) result;
        "invoke-streamed" => _export_invoke_streamed_cabi, __post_return_invoke_streamed(a0: *mut u8) result;
    }}

    exports! { operations "operations" lower_error {
        "list-buckets" => _export_list_buckets_cabi, __post_return_list_buckets(
            a0: *mut u8, a1: usize, a2: *mut u8, a3: usize, a4: i32, a5: *mut u8, a6: usize,
            a7: i32, a8: *mut u8, a9: usize, a10: i32, a11: *mut u8, a12: usize, a13: i32,
            a14: i32, a15: i64
        ) result;
        "list-buckets-ddl" => _export_list_buckets_ddl_cabi, __post_return_list_buckets_ddl(
            a0: *mut u8, a1: usize, a2: *mut u8, a3: usize, a4: i32, a5: *mut u8, a6: usize,
            a7: i32, a8: *mut u8, a9: usize, a10: i32, a11: *mut u8, a12: usize, a13: i32,
            a14: i32, a15: i64
        ) result;
        "list-objects" => _export_list_objects_cabi, __post_return_list_objects(a0: *mut u8) result;
        "get-object" => _export_get_object_cabi, __post_return_get_object(a0: *mut u8) result;
        "get-object-signed-url" => _export_get_object_signed_url_cabi,
            __post_return_get_object_signed_url(a0: *mut u8) result;
        "get-bucket-location" => _export_get_bucket_location_cabi,
            __post_return_get_bucket_location(a0: *mut u8) result;
        "head-object" => _export_head_object_cabi, __post_return_head_object(a0: *mut u8) result;
        "put-object-text" => _export_put_object_text_cabi, __post_return_put_object_text(a0: *mut u8) result;
        "put-object-file" => _export_put_object_file_cabi, __post_return_put_object_file(a0: *mut u8) result;
        "put-object-acl" => _export_put_object_acl_cabi, __post_return_put_object_acl(a0: *mut u8) result;
        "delete-object" => _export_delete_object_cabi, __post_return_delete_object(a0: *mut u8) result;
        "delete-objects" => _export_delete_objects_cabi, __post_return_delete_objects(a0: *mut u8) result;
        "get-object-to" => _export_get_object_to_cabi, __post_return_get_object_to(a0: *mut u8) result;
        "put-object-stream" => _export_put_object_stream_cabi,
            __post_return_put_object_stream(a0: *mut u8) result;
        "list-multipart-uploads" => _export_list_multipart_uploads_cabi,
            __post_return_list_multipart_uploads(a0: *mut u8) result;
        "abort-multipart-upload" => _export_abort_multipart_upload_cabi,
            __post_return_abort_multipart_upload(a0: *mut u8) result;
    }}

    /// Lowers the error [`super::defer`] set aside, if any, and returns
    /// where the export's result now is: `ret` (the return area the export
    /// just wrote, holding its placeholder) when no error was set aside,
    /// else the return area of `operations`, where the error was lowered.
    ///
    /// One lowering serves the exports of both interfaces. The `error` of
    /// `result<T, error>` is at the same offset whatever `T` (8: `error`
    /// holds a `u64`, so nothing in either interface is more aligned), after
    /// the same case byte, and every export's post-return frees an `err` by
    /// the same type's layout, so the host reads a `json` export's error
    /// from there as it would from `json`'s own return area. The
    /// placeholder left in `ret` holds nothing to free.
    ///
    /// # Safety
    /// `ret` is the return area an export just wrote.
    #[inline(never)]
    unsafe fn lower_error(ret: *mut u8) -> *mut u8 {
        if !super::has_deferred() {
            return ret;
        }
        // wit-bindgen's own lowering of `result<_, error>`, written out
        // once: its `list-buckets` export over [`super::Lowerer`], whose
        // function answers the deferred error, called with an empty
        // connection (empty strings, `none`s and `false`; nothing to free).
        let empty = std::ptr::NonNull::<u8>::dangling().as_ptr();
        unsafe {
            operations::_export_list_buckets_cabi::<super::Lowerer>(
                empty, 0, empty, 0, 0, empty, 0, 0, empty, 0, 0, empty, 0, 0, 0, 0,
            )
        }
    }
}

/// The type the exports are implemented on.
struct Component;

/// Regions learnt per bucket and derived signing keys. A component instance
/// lives across calls, so later calls on the same instance go straight to a
/// bucket's region and reuse the day's signing key.
static STATE: Mutex<Option<InstanceState>> = Mutex::new(None);

/// Reads the clock: the one place the crate does.
fn now() -> OffsetDateTime {
    let since_epoch = match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(elapsed) => time::Duration::try_from(elapsed).unwrap_or(time::Duration::ZERO),
        Err(before) => time::Duration::try_from(before.duration())
            .map(|d| -d)
            .unwrap_or(time::Duration::ZERO),
    };
    OffsetDateTime::UNIX_EPOCH
        .checked_add(since_epoch)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// An operation's error, set aside by [`defer`] for the export to lower
/// after it returns (`bindings::lower_error`). In its place the export
/// returns an empty output ([`or_empty`]).
struct Deferred;

/// The error an operation failed with, until its export lowers it.
static DEFERRED: Mutex<Option<wit::Error>> = Mutex::new(None);

/// Sets `error` aside for the export to lower.
#[inline(never)]
fn defer(error: Error) -> Deferred {
    *DEFERRED.lock().unwrap_or_else(PoisonError::into_inner) = Some(error.into());
    Deferred
}

/// An export's output, or an empty one in place of a deferred error, which
/// `bindings::lower_error` then lowers elsewhere. Every export returns
/// `Ok`: an `Err` placeholder could leave the compiler unable to see its
/// case, and the export would keep a whole lowering of `error` of its own
/// (some 3 KB: Get Object's did, with an `Err` placeholder, until its output
/// was the core's own type); an empty output is lowered in a few stores and
/// allocates nothing, so nothing is left to free.
fn or_empty<T: Default>(output: Result<T, Deferred>) -> T {
    output.unwrap_or_default()
}

/// Has an error been set aside by [`defer`]?
fn has_deferred() -> bool {
    DEFERRED.lock().unwrap_or_else(PoisonError::into_inner).is_some()
}

/// The error set aside by [`defer`], taken.
fn take_deferred() -> wit::Error {
    DEFERRED
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .take()
        .unwrap_or_else(|| wit::Error::InvalidResponse(String::new()))
}

/// The exports over this type answer the error set aside by [`defer`]:
/// wit-bindgen's lowering of it, instantiated once for both interfaces
/// (see `bindings::lower_error`).
struct Lowerer;

impl operations::Guest for Lowerer {
    fn list_buckets(_conn: wit::Connection) -> Result<Vec<model::Bucket>, wit::Error> {
        Err(take_deferred())
    }

    fn list_buckets_ddl(_conn: wit::Connection) -> Result<Vec<model::DropdownItem>, wit::Error> {
        Err(take_deferred())
    }

    fn list_objects(
        _conn: wit::Connection,
        _input: model::ListObjectsInput,
    ) -> Result<model::ListObjectsOutput, wit::Error> {
        Err(take_deferred())
    }

    fn get_object(
        _conn: wit::Connection,
        _input: model::GetObjectInput,
    ) -> Result<model::GetObjectOutput, wit::Error> {
        Err(take_deferred())
    }

    fn get_object_signed_url(
        _conn: wit::Connection,
        _input: model::SignedUrlInput,
    ) -> Result<model::SignedUrl, wit::Error> {
        Err(take_deferred())
    }

    fn get_bucket_location(_conn: wit::Connection, _bucket_name: String) -> Result<String, wit::Error> {
        Err(take_deferred())
    }

    fn head_object(
        _conn: wit::Connection,
        _input: model::ObjectRef,
    ) -> Result<model::ObjectMetadata, wit::Error> {
        Err(take_deferred())
    }

    fn put_object_text(
        _conn: wit::Connection,
        _input: model::PutObjectTextInput,
    ) -> Result<model::PutObjectOutput, wit::Error> {
        Err(take_deferred())
    }

    fn put_object_file(
        _conn: wit::Connection,
        _input: model::PutObjectFileInput,
    ) -> Result<model::PutObjectOutput, wit::Error> {
        Err(take_deferred())
    }

    fn put_object_acl(_conn: wit::Connection, _input: model::PutObjectAclInput) -> Result<(), wit::Error> {
        Err(take_deferred())
    }

    fn delete_object(
        _conn: wit::Connection,
        _input: model::ObjectRef,
    ) -> Result<model::DeleteObjectOutput, wit::Error> {
        Err(take_deferred())
    }

    fn delete_objects(
        _conn: wit::Connection,
        _input: model::DeleteObjectsInput,
    ) -> Result<Vec<wit::DeleteResult>, wit::Error> {
        Err(take_deferred())
    }

    fn get_object_to(
        _conn: wit::Connection,
        _input: model::GetObjectInput,
        _sink: &wit_bodies::BodySink,
    ) -> Result<model::ObjectMetadata, wit::Error> {
        Err(take_deferred())
    }

    fn put_object_stream(
        _conn: wit::Connection,
        _input: model::PutObjectStreamInput,
        _source: &wit_bodies::BodySource,
    ) -> Result<model::PutObjectOutput, wit::Error> {
        Err(take_deferred())
    }

    fn list_multipart_uploads(
        _conn: wit::Connection,
        _input: model::ListMultipartUploadsInput,
    ) -> Result<Vec<model::MultipartUpload>, wit::Error> {
        Err(take_deferred())
    }

    fn abort_multipart_upload(
        _conn: wit::Connection,
        _input: model::AbortMultipartUploadInput,
    ) -> Result<(), wit::Error> {
        Err(take_deferred())
    }
}

/// Runs `f` with a client for `operation` over the host transport.
fn with_client<T>(
    conn: wit::Connection,
    operation: Operation,
    f: impl FnOnce(&mut Client<'_>) -> Result<T, Error>,
) -> Result<T, Deferred> {
    with_bodies(conn, operation, HostTransport::default(), f)
}

/// The connection of the last call that gave a valid one, and what it
/// parsed to. A host passes an instance the same connection on every call,
/// and parsing it (the endpoint URL, the checks of the credentials and the
/// region) cost about 6.5k instructions per call; a call whose connection
/// differs in any field parses its own and replaces this.
static LAST_CONNECTION: Mutex<Option<(wit::Connection, Connection)>> = Mutex::new(None);

/// What `conn` parses to: the connection `last` holds when `conn` is the
/// one it was parsed from, else `conn` parsed; kept in `last` either way
/// (emptied when `conn` does not parse).
fn remembered(
    last: &mut Option<(wit::Connection, Connection)>,
    conn: wit::Connection,
) -> Result<&Connection, Deferred> {
    let parsed = match last.take() {
        Some((given, parsed)) if same_connection(&given, &conn) => parsed,
        _ => connection_from_wit(&conn).map_err(defer)?,
    };
    Ok(&last.insert((conn, parsed)).1)
}

/// Whether two connections are the same, field by field (every field is
/// named, so that a field added to the record must be compared here too);
/// strings compared a word at a time ([`crate::ascii::same`]).
fn same_connection(a: &wit::Connection, b: &wit::Connection) -> bool {
    let wit::Connection {
        access_key,
        secret_key,
        session_token,
        region,
        endpoint,
        path_style,
        credentials_expire,
    } = a;
    let text = |x: &str, y: &str| crate::ascii::same(x.as_bytes(), y.as_bytes());
    let optional = |x: &Option<String>, y: &Option<String>| match (x, y) {
        (Some(x), Some(y)) => text(x, y),
        (x, y) => x.is_none() && y.is_none(),
    };
    text(access_key, &b.access_key)
        && text(secret_key, &b.secret_key)
        && optional(session_token, &b.session_token)
        && optional(region, &b.region)
        && optional(endpoint, &b.endpoint)
        && *path_style == b.path_style
        && *credentials_expire == b.credentials_expire
}

/// [`with_client`], over a transport that has the call's host-held bodies.
fn with_bodies<T>(
    conn: wit::Connection,
    operation: Operation,
    mut transport: HostTransport<'_>,
    f: impl FnOnce(&mut Client<'_>) -> Result<T, Error>,
) -> Result<T, Deferred> {
    let mut last = LAST_CONNECTION.lock().unwrap_or_else(PoisonError::into_inner);
    let connection = remembered(&mut last, conn)?;
    // A poisoned lock only means an earlier call panicked (which the
    // component's `panic = "abort"` rules out); the cache is still usable.
    let mut state = STATE.lock().unwrap_or_else(PoisonError::into_inner);
    let mut client = Client {
        connection,
        transport: &mut transport,
        state: instance_state(&mut state),
        now: now(),
        operation,
    };
    f(&mut client).map_err(defer)
}

/// The instance's state, made on its first call. Not inlined: its making
/// (two maps and their random hash keys) would be written out again in
/// every operation's [`with_bodies`].
#[inline(never)]
fn instance_state(state: &mut Option<InstanceState>) -> &mut InstanceState {
    state.get_or_insert_with(InstanceState::default)
}

/// The connection as the core takes it; region and endpoint are checked.
fn connection_from_wit(conn: &wit::Connection) -> Result<Connection, Error> {
    let endpoint = match conn.endpoint.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(url) => Some(Endpoint::parse(url)?),
    };
    Ok(Connection {
        credentials: Credentials::parse(&conn.access_key, &conn.secret_key, conn.session_token.as_deref())?
            .expiring(conn.credentials_expire),
        region: Region::parse(conn.region.as_deref())?,
        endpoint,
        path_style: conn.path_style,
    })
}

impl operations::Guest for Component {
    #[inline(always)]
    fn list_buckets(conn: wit::Connection) -> Result<Vec<model::Bucket>, wit::Error> {
        Ok(or_empty(with_client(
            conn,
            Operation::ListBuckets,
            ops::list_buckets::run,
        )))
    }

    #[inline(always)]
    fn list_buckets_ddl(conn: wit::Connection) -> Result<Vec<model::DropdownItem>, wit::Error> {
        Ok(or_empty(with_client(
            conn,
            Operation::ListBucketsDdl,
            ops::list_buckets_ddl::run,
        )))
    }

    #[inline(always)]
    fn list_objects(
        conn: wit::Connection,
        input: model::ListObjectsInput,
    ) -> Result<model::ListObjectsOutput, wit::Error> {
        Ok(or_empty(with_client(conn, Operation::ListObjects, |c| {
            ops::list_objects::run(c, &input)
        })))
    }

    #[inline(always)]
    fn get_object(
        conn: wit::Connection,
        input: model::GetObjectInput,
    ) -> Result<model::GetObjectOutput, wit::Error> {
        Ok(or_empty(with_client(conn, Operation::GetObject, |c| {
            ops::get_object::run(c, &input)
        })))
    }

    #[inline(always)]
    fn get_object_signed_url(
        conn: wit::Connection,
        input: model::SignedUrlInput,
    ) -> Result<model::SignedUrl, wit::Error> {
        Ok(or_empty(with_client(conn, Operation::GetObjectSignedUrl, |c| {
            ops::get_object_signed_url::run(c, &input)
        })))
    }

    #[inline(always)]
    fn get_bucket_location(conn: wit::Connection, bucket_name: String) -> Result<String, wit::Error> {
        Ok(or_empty(with_client(conn, Operation::GetBucketLocation, |c| {
            ops::get_bucket_location::run(c, &bucket_name)
        })))
    }

    #[inline(always)]
    fn head_object(
        conn: wit::Connection,
        input: model::ObjectRef,
    ) -> Result<model::ObjectMetadata, wit::Error> {
        let metadata = with_client(conn, Operation::HeadObject, |c| ops::head_object::run(c, &input));
        Ok(or_empty(metadata))
    }

    #[inline(always)]
    fn put_object_text(
        conn: wit::Connection,
        input: model::PutObjectTextInput,
    ) -> Result<model::PutObjectOutput, wit::Error> {
        Ok(or_empty(with_client(conn, Operation::PutObjectText, |c| {
            ops::put_object::run_text(c, input, &Default::default())
        })))
    }

    #[inline(always)]
    fn put_object_file(
        conn: wit::Connection,
        input: model::PutObjectFileInput,
    ) -> Result<model::PutObjectOutput, wit::Error> {
        Ok(or_empty(with_client(conn, Operation::PutObjectFile, |c| {
            ops::put_object::run_file(c, input, &Default::default())
        })))
    }

    #[inline(always)]
    fn put_object_acl(conn: wit::Connection, input: model::PutObjectAclInput) -> Result<(), wit::Error> {
        or_empty(with_client(conn, Operation::PutObjectAcl, |c| {
            ops::put_object_acl::run(c, &input)
        }));
        Ok(())
    }

    #[inline(always)]
    fn delete_object(
        conn: wit::Connection,
        input: model::ObjectRef,
    ) -> Result<model::DeleteObjectOutput, wit::Error> {
        Ok(or_empty(with_client(conn, Operation::DeleteObject, |c| {
            ops::delete_object::run(c, &input)
        })))
    }

    #[inline(always)]
    fn delete_objects(
        conn: wit::Connection,
        input: model::DeleteObjectsInput,
    ) -> Result<Vec<wit::DeleteResult>, wit::Error> {
        let results = with_client(conn, Operation::DeleteObjects, |c| {
            ops::delete_objects::run(c, &input)
        });
        Ok(or_empty(results).into_iter().map(Into::into).collect())
    }

    #[inline(always)]
    fn get_object_to(
        conn: wit::Connection,
        input: model::GetObjectInput,
        sink: &wit_bodies::BodySink,
    ) -> Result<model::ObjectMetadata, wit::Error> {
        let transport = HostTransport {
            source: None,
            sink: Some(sink),
        };
        let metadata = with_bodies(conn, Operation::GetObject, transport, |c| {
            ops::get_object_to::run(c, &input)
        });
        Ok(or_empty(metadata))
    }

    #[inline(always)]
    fn put_object_stream(
        conn: wit::Connection,
        input: model::PutObjectStreamInput,
        source: &wit_bodies::BodySource,
    ) -> Result<model::PutObjectOutput, wit::Error> {
        let transport = HostTransport {
            source: Some(source),
            sink: None,
        };
        Ok(or_empty(with_bodies(
            conn,
            Operation::PutObjectFile,
            transport,
            |c| ops::put_object_stream::run(c, &input, &Default::default()),
        )))
    }

    #[inline(always)]
    fn list_multipart_uploads(
        conn: wit::Connection,
        input: model::ListMultipartUploadsInput,
    ) -> Result<Vec<model::MultipartUpload>, wit::Error> {
        Ok(or_empty(with_client(
            conn,
            Operation::ListMultipartUploads,
            |c| ops::list_multipart_uploads::run(c, &input),
        )))
    }

    #[inline(always)]
    fn abort_multipart_upload(
        conn: wit::Connection,
        input: model::AbortMultipartUploadInput,
    ) -> Result<(), wit::Error> {
        or_empty(with_client(conn, Operation::AbortMultipartUpload, |c| {
            ops::abort_multipart_upload::run(c, &input)
        }));
        Ok(())
    }
}

/// The placeholder of a JSON call's output, for [`or_empty`]'s purpose.
fn no_output() -> wit_json::InvokeOutput {
    wit_json::InvokeOutput {
        json: String::new(),
        body: None,
    }
}

impl wit_json::Guest for Component {
    #[inline(always)]
    fn invoke(
        conn: wit::Connection,
        operation: String,
        input: String,
        body: Option<Vec<u8>>,
    ) -> Result<wit_json::InvokeOutput, wit::Error> {
        Ok(json_call(conn, HostTransport::default(), &operation, input, body)
            .unwrap_or_else(|Deferred| no_output()))
    }

    fn operations() -> Vec<wit_json::OperationName> {
        operation_names()
    }

    fn describe() -> String {
        // The embedded manifest is checked to inflate by the core's tests;
        // should a build break it, the caller gets JSON that says so:
        // `{"error":message}`.
        crate::manifest::text().unwrap_or_else(|message| {
            let mut text = "{\"error\":".to_owned();
            crate::encode::string(&mut text, &message);
            text.push('}');
            text
        })
    }

    #[inline(always)]
    fn policy(operations: Vec<String>, bucket: Option<String>) -> Result<String, wit::Error> {
        Ok(or_empty(
            crate::policy::document(&operations, bucket.as_deref())
                .map(|document| crate::encode::to_json(&document))
                .map_err(defer),
        ))
    }

    #[inline(always)]
    fn invoke_streamed(
        conn: wit::Connection,
        operation: String,
        input: String,
        source: Option<&wit_bodies::BodySource>,
        sink: Option<&wit_bodies::BodySink>,
    ) -> Result<wit_json::InvokeOutput, wit::Error> {
        Ok(
            json_call(conn, HostTransport { source, sink }, &operation, input, None)
                .unwrap_or_else(|Deferred| no_output()),
        )
    }
}

/// Runs one call of the JSON face over `transport`. The input's text is
/// handed over, to be freed once parsed.
fn json_call(
    conn: wit::Connection,
    mut transport: HostTransport<'_>,
    operation: &str,
    input: String,
    body: Option<Vec<u8>>,
) -> Result<wit_json::InvokeOutput, Deferred> {
    let mut last = LAST_CONNECTION.lock().unwrap_or_else(PoisonError::into_inner);
    let connection = remembered(&mut last, conn)?;
    let mut state = STATE.lock().unwrap_or_else(PoisonError::into_inner);
    let bodies = crate::json::Attached {
        source: transport.source.is_some(),
        sink: transport.sink.is_some(),
    };
    let output = crate::json::invoke_streamed(
        connection,
        &mut transport,
        state.get_or_insert_with(InstanceState::default),
        now(),
        crate::json::Call {
            operation,
            input: input.into(),
            body,
            bodies,
        },
    )
    .map_err(defer)?;
    Ok(wit_json::InvokeOutput {
        json: output.json,
        body: output.body,
    })
}

/// Bodies shorter than this are hashed in the component even when the host
/// offers digests: for them the call to the host (the bytes copied out, the
/// digest copied back in) costs about what it saves. The client's CPU time
/// per 1 KiB PUT fell by 6-7 µs (of about 120) with the host's SHA-256,
/// where hashing in WebAssembly takes some 41 instructions a byte; a
/// 512-byte one by 2 µs, a 256-byte one by nothing to tell.
const HOST_DIGEST_FROM: usize = 512;

/// Set once the host has answered that it offers no digests.
static NO_HOST_DIGESTS: AtomicBool = AtomicBool::new(false);

/// The WIT digest algorithm for the core's.
fn wit_digest(algorithm: crate::http::Digest) -> wit_bodies::DigestAlgorithm {
    match algorithm {
        crate::http::Digest::Sha256 => wit_bodies::DigestAlgorithm::Sha256,
        crate::http::Digest::Md5 => wit_bodies::DigestAlgorithm::Md5,
    }
}

/// Sends through the host's `http-outgoing` import; reads and writes the
/// call's host-held bodies, if it has any.
#[derive(Default)]
struct HostTransport<'a> {
    source: Option<&'a wit_bodies::BodySource>,
    sink: Option<&'a wit_bodies::BodySink>,
}

/// A request's parts as the WIT call borrows them: its URL, built once, and
/// its method, headers and body borrowed from the request, never copied.
struct Wire<'a> {
    request: &'a HttpRequest,
    url: String,
    headers: Vec<wit_http::Header<'a>>,
}

impl<'a> Wire<'a> {
    /// The parts of `request`. Not inlined: the five ways of sending share
    /// one copy.
    #[inline(never)]
    fn new(request: &'a HttpRequest) -> Self {
        Wire {
            request,
            url: request.url(),
            headers: request
                .headers
                .iter()
                .map(|(name, value)| wit_http::Header { name, value })
                .collect(),
        }
    }

    /// The WIT request, with `body` as its body.
    fn with_body<'b>(&'b self, body: wit_http::BodyParam<'b>) -> wit_http::Request<'b> {
        wit_http::Request {
            method: self.request.method.as_str(),
            url: &self.url,
            headers: &self.headers,
            body,
        }
    }

    /// The WIT request without a body (the host streams it, or there is none).
    fn bodiless(&self) -> wit_http::Request<'_> {
        self.with_body(wit_http::BodyParam::Empty)
    }
}

/// The core's response for the WIT one. Not inlined: the five ways of
/// sending share one copy.
#[inline(never)]
fn core_response(response: wit_http::Response) -> HttpResponse {
    HttpResponse {
        status: response.status,
        headers: crate::http::Headers::from_lines(response.headers),
        body: match response.body {
            wit_http::BodyResult::Empty => Vec::new(),
            wit_http::BodyResult::Bytes(bytes) => bytes,
        },
    }
}

impl Transport for HostTransport<'_> {
    fn send(&mut self, request: &HttpRequest) -> Result<HttpResponse, TransportError> {
        // `empty` is for bodiless methods; a PUT or POST of zero bytes still
        // carries its (empty) body so that the host sends `content-length: 0`,
        // which S3 requires on PUT.
        let body = match request.method {
            Method::Get | Method::Head | Method::Delete if request.body.is_empty() => {
                wit_http::BodyParam::Empty
            }
            _ => wit_http::BodyParam::Bytes(&request.body),
        };
        let wire = Wire::new(request);
        let response = wit_http::send(wire.with_body(body))?;
        Ok(core_response(response))
    }

    fn send_from(
        &mut self,
        request: &HttpRequest,
        offset: u64,
        length: u64,
    ) -> Result<HttpResponse, TransportError> {
        let source = self
            .source
            .ok_or_else(|| TransportError::Other(BodyError::Missing.to_string()))?;
        let wire = Wire::new(request);
        Ok(core_response(wit_http::send_from(
            wire.bodiless(),
            source,
            offset,
            length,
        )?))
    }

    fn send_from_each(
        &mut self,
        requests: &[(HttpRequest, u64, u64)],
    ) -> Vec<Result<HttpResponse, TransportError>> {
        let Some(source) = self.source else {
            return requests
                .iter()
                .map(|_| Err(TransportError::Other(BodyError::Missing.to_string())))
                .collect();
        };
        let wires: Vec<Wire<'_>> = requests
            .iter()
            .map(|(request, _, _)| Wire::new(request))
            .collect();
        let wire: Vec<wit_http::SpanRequest<'_>> = wires
            .iter()
            .zip(requests)
            .map(|(wire, (_, offset, length))| wit_http::SpanRequest {
                request: wire.bodiless(),
                offset: *offset,
                length: *length,
            })
            .collect();
        wit_http::send_from_each(&wire, source)
            .into_iter()
            .map(|answer| answer.map(core_response))
            .collect()
    }

    fn send_into_each(
        &mut self,
        requests: &[(HttpRequest, u64)],
    ) -> Vec<Result<(HttpResponse, u64), TransportError>> {
        let Some(sink) = self.sink else {
            return requests
                .iter()
                .map(|_| Err(TransportError::Other(BodyError::Missing.to_string())))
                .collect();
        };
        let wires: Vec<Wire<'_>> = requests.iter().map(|(request, _)| Wire::new(request)).collect();
        let wire: Vec<wit_http::PlacedRequest<'_>> = wires
            .iter()
            .zip(requests)
            .map(|(wire, (_, at))| wit_http::PlacedRequest {
                request: wire.bodiless(),
                at: *at,
            })
            .collect();
        wit_http::send_into_each(&wire, sink)
            .into_iter()
            .map(|answer| answer.map(|placed| (core_response(placed.response), placed.received)))
            .collect()
    }

    fn send_into(&mut self, request: &HttpRequest) -> Result<HttpResponse, TransportError> {
        let sink = self
            .sink
            .ok_or_else(|| TransportError::Other(BodyError::Missing.to_string()))?;
        let wire = Wire::new(request);
        Ok(core_response(wit_http::send_into(wire.bodiless(), sink)?))
    }

    fn source_size(&mut self) -> Option<u64> {
        self.source.map(wit_bodies::BodySource::size)
    }

    fn read_source(&mut self, offset: u64, max: u32) -> Result<Vec<u8>, BodyError> {
        let source = self.source.ok_or(BodyError::Missing)?;
        Ok(source.read(offset, max)?)
    }

    fn source_digest(
        &mut self,
        offset: u64,
        length: u64,
        algorithm: crate::http::Digest,
    ) -> Result<Option<Vec<u8>>, BodyError> {
        let source = self.source.ok_or(BodyError::Missing)?;
        Ok(source.digest(offset, length, wit_digest(algorithm))?)
    }

    /// Asks the host for digests of [`HOST_DIGEST_FROM`] bytes or more,
    /// until it once answers that it offers none (the standard-WASI build's
    /// adapter, which would hash in WebAssembly too).
    fn digest(&mut self, bytes: &[u8], algorithm: crate::http::Digest) -> Option<Vec<u8>> {
        if bytes.len() < HOST_DIGEST_FROM || NO_HOST_DIGESTS.load(Ordering::Relaxed) {
            return None;
        }
        let answer = wit_http::digest(bytes, wit_digest(algorithm));
        if answer.is_none() {
            NO_HOST_DIGESTS.store(true, Ordering::Relaxed);
        }
        answer
    }

    fn sink_written(&mut self) -> Result<u64, BodyError> {
        Ok(self.sink.ok_or(BodyError::Missing)?.written())
    }

    fn truncate_sink(&mut self, length: u64) -> Result<(), BodyError> {
        Ok(self.sink.ok_or(BodyError::Missing)?.truncate(length)?)
    }

    fn progress(&mut self, transferred: u64, total: Option<u64>) {
        wit_bodies::progress(transferred, total);
    }

    /// Sleeps through WASI's monotonic clock, between retry attempts.
    fn pause(&mut self, duration: std::time::Duration) {
        std::thread::sleep(duration);
    }

    /// Jitter from std's per-process random hash keys (WASI `insecure-seed`),
    /// which is all backoff jitter needs.
    fn random_fraction(&mut self) -> f64 {
        use std::hash::{BuildHasher, Hasher};
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u64(0x5eed);
        (hasher.finish() >> 11) as f64 / (1u64 << 53) as f64
    }
}

// ---- errors ----

impl From<Error> for wit::Error {
    fn from(error: Error) -> Self {
        match error.into_kind() {
            ErrorKind::InvalidInput { field, message } => {
                wit::Error::InvalidInput(wit::InvalidInput { field, message })
            }
            ErrorKind::Service(service) => wit::Error::Service(service.into()),
            ErrorKind::Transport { error, attempts } => {
                wit::Error::Transport(wit::TransportFailure { error, attempts })
            }
            ErrorKind::InvalidResponse(message) => wit::Error::InvalidResponse(message),
            ErrorKind::Body(error) => wit::Error::Body(error.into()),
            ErrorKind::UploadIncomplete(failure) => wit::Error::UploadIncomplete(failure.into()),
        }
    }
}

impl From<UploadFailure> for wit::UploadFailure {
    fn from(failure: UploadFailure) -> Self {
        let cause = match failure.cause.into_kind() {
            ErrorKind::Service(service) => wit::UploadCause::Service(service.into()),
            ErrorKind::Transport { error, attempts } => {
                wit::UploadCause::Transport(wit::TransportFailure { error, attempts })
            }
            ErrorKind::Body(error) => wit::UploadCause::Body(error.into()),
            // Input is checked before an upload starts, and causes never nest.
            other => wit::UploadCause::InvalidResponse(other.to_string()),
        };
        wit::UploadFailure {
            upload_id: failure.upload_id,
            parts_done: failure.parts_done,
            parts_total: failure.parts_total,
            aborted: failure.aborted,
            cause,
        }
    }
}

impl From<BodyError> for wit_bodies::BodyError {
    fn from(error: BodyError) -> Self {
        match error {
            BodyError::Io(message) => wit_bodies::BodyError::Io(message),
            BodyError::OutOfRange => wit_bodies::BodyError::OutOfRange,
            BodyError::Missing => wit_bodies::BodyError::Io(error.to_string()),
        }
    }
}

impl From<wit_bodies::BodyError> for BodyError {
    fn from(error: wit_bodies::BodyError) -> Self {
        match error {
            wit_bodies::BodyError::Io(message) => BodyError::Io(message),
            wit_bodies::BodyError::OutOfRange => BodyError::OutOfRange,
        }
    }
}

impl From<ServiceError> for wit::ServiceError {
    fn from(error: ServiceError) -> Self {
        wit::ServiceError {
            status: error.status,
            code: error.code,
            message: error.message,
            request_id: error.request_id,
            resource: error.resource,
            required_permission: error.required_permission,
            attempts: error.attempts,
        }
    }
}

// ---- the operations, records and enums: derived from their one declaration ----

/// Every operation of the registry as its WIT `operation-name`: a case
/// missing from the WIT does not compile.
macro_rules! wit_operation_names {
    ($($module:ident :: $op:ident,)*) => {
        fn operation_names() -> Vec<wit_json::OperationName> {
            vec![$(wit_json::OperationName::$op),*]
        }
    };
}
crate::ops::for_each_operation!(wit_operation_names);

/// Each unit enum of the core as the bindings lift it: `_lift` is the name
/// wit-bindgen calls, with the number of the WIT case, and the bindings
/// lower a value to `value as i32`. Both go by the order the enum declares
/// its cases, which `model`'s tests hold to the WIT's.
macro_rules! wit_enum_lifts {
    ($(
        $(#[$meta:meta])*
        pub enum $name:ident { $( $(#[$case_meta:meta])* $case:ident ),* $(,)? }
    )*) => {$(
        impl model::$name {
            /// The case numbered `case` in the WIT (the host checks that
            /// there is one; were there none, the first).
            #[doc(hidden)]
            #[allow(unsafe_code)] // the name and signature wit-bindgen calls
            pub(crate) unsafe fn _lift(case: u8) -> Self {
                const CASES: &[model::$name] = &[$(model::$name::$case),*];
                match CASES.get(usize::from(case)) {
                    Some(value) => *value,
                    None => CASES[0],
                }
            }
        }
    )*};
}
crate::model::wit_enums!(wit_enum_lifts);

impl From<model::DeleteResult> for wit::DeleteResult {
    fn from(result: model::DeleteResult) -> Self {
        wit::DeleteResult {
            key: result.key,
            version_id: result.version_id,
            delete_marker: result.delete_marker,
            outcome: match result.outcome {
                model::DeleteOutcome::Deleted => wit::DeleteOutcome::Deleted,
                model::DeleteOutcome::Failed { code, message } => wit::DeleteOutcome::Failed((code, message)),
            },
        }
    }
}
