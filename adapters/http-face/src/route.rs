//! Which route a request names, and the query parameters it carries.

use percent_encoding::percent_decode_str;

/// The prefix of every route: the API's version.
pub const PREFIX: &str = "/v1/";

/// What a request's path names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route<'a> {
    /// `/v1/operations`: the manifest.
    Manifest,
    /// `/v1/{operation}`: one operation, by its name (not yet checked
    /// against the connector's list).
    Operation(&'a str),
    /// Anything else.
    NotFound,
}

impl Route<'_> {
    /// The one method the route answers: `GET` for the manifest, `POST` for
    /// an operation (which may change things, and takes a body).
    pub fn method(&self) -> &'static str {
        match self {
            Route::Manifest => "GET",
            Route::Operation(_) | Route::NotFound => "POST",
        }
    }
}

/// The route of `path_with_query` (the query is ignored).
pub fn route(path_with_query: &str) -> Route<'_> {
    let path = path_with_query.split(['?', '#']).next().unwrap_or_default();
    let Some(name) = path.strip_prefix(PREFIX) else {
        return Route::NotFound;
    };
    if name == "operations" {
        Route::Manifest
    } else if !name.is_empty() && name.bytes().all(|b| b.is_ascii_lowercase() || b == b'-') {
        Route::Operation(name)
    } else {
        Route::NotFound
    }
}

/// The value of the query parameter `name`, percent-decoded (`+` is a
/// space, as in a form), or `None` when absent. Bytes that are not UTF-8
/// after decoding are an error naming the parameter.
pub fn query_param(path_with_query: &str, name: &str) -> Result<Option<String>, String> {
    let Some((_, query)) = path_with_query.split_once('?') else {
        return Ok(None);
    };
    let query = query.split('#').next().unwrap_or_default();
    for pair in query.split('&') {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        if key == name {
            let value = value.replace('+', " ");
            return percent_decode_str(&value)
                .decode_utf8()
                .map(|v| Some(v.into_owned()))
                .map_err(|_| format!("the query parameter `{name}` is not UTF-8 once decoded"));
        }
    }
    Ok(None)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn manifest_and_operations_are_told_apart() {
        assert_eq!(route("/v1/operations"), Route::Manifest);
        assert_eq!(route("/v1/operations?x=1"), Route::Manifest);
        assert_eq!(route("/v1/list-objects"), Route::Operation("list-objects"));
        assert_eq!(
            route("/v1/put-object-file?input=%7B%7D"),
            Route::Operation("put-object-file")
        );
    }

    #[test]
    fn other_paths_are_not_found() {
        for path in [
            "/",
            "",
            "/v1/",
            "/v2/list-objects",
            "/v1/list-objects/x",
            "/v1/LIST",
            "/v1/a%20b",
        ] {
            assert_eq!(route(path), Route::NotFound, "{path}");
        }
    }

    #[test]
    fn each_route_has_one_method() {
        assert_eq!(Route::Manifest.method(), "GET");
        assert_eq!(Route::Operation("head-object").method(), "POST");
    }

    #[test]
    fn query_parameters_are_decoded() {
        let path = "/v1/put-object-file?x=1&input=%7B%22bucket_name%22%3A%22b+c%22%7D";
        assert_eq!(
            query_param(path, "input").unwrap().as_deref(),
            Some("{\"bucket_name\":\"b c\"}")
        );
        assert_eq!(query_param(path, "missing").unwrap(), None);
        assert_eq!(query_param("/v1/x", "input").unwrap(), None);
        assert!(query_param("/v1/x?input=%FF", "input").is_err());
    }
}
