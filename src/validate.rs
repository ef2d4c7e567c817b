//! Input checks made before anything is sent. Each failure names the field
//! (in WIT spelling) and the rule broken.

use crate::error::Error;

/// Checks a bucket name against S3's naming rules.
/// https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
pub fn bucket_name(name: &str) -> Result<(), Error> {
    let fail = |rule: &str| Err(Error::invalid_input("bucket-name", format!("`{name}` {rule}")));
    if name.is_empty() {
        return Err(Error::invalid_input("bucket-name", "is empty; give the bucket's name"));
    }
    if name.len() < 3 || name.len() > 63 {
        return fail("must be 3 to 63 characters long");
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '.' || *c == '-'))
    {
        let hint = if c.is_ascii_uppercase() {
            " (bucket names are lower case)"
        } else if c.is_whitespace() {
            " (check for stray spaces)"
        } else {
            ""
        };
        return fail(&format!(
            "has the character {c:?}: only lower-case letters, digits, `.` and `-` are allowed{hint}"
        ));
    }
    let bytes = name.as_bytes();
    let is_alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    if !is_alnum(bytes[0]) || !is_alnum(bytes[bytes.len() - 1]) {
        return fail("must begin and end with a letter or digit");
    }
    if name.contains("..") || name.contains(".-") || name.contains("-.") {
        return fail("must not have two periods, or a period next to a hyphen, in a row");
    }
    if name.split('.').count() == 4 && name.split('.').all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit())) {
        return fail("must not be formatted as an IP address");
    }
    if name.starts_with("xn--") || name.starts_with("sthree-") {
        return fail("must not start with `xn--` or `sthree-`");
    }
    if name.ends_with("-s3alias") || name.ends_with("--ol-s3") {
        return fail("must not end with `-s3alias` or `--ol-s3`");
    }
    Ok(())
}

/// Checks an object key: 1 to 1024 bytes of UTF-8.
pub fn object_key(field: &str, key: &str) -> Result<(), Error> {
    if key.is_empty() {
        return Err(Error::invalid_input(field, "is empty; an object key needs 1 to 1024 bytes"));
    }
    if key.len() > 1024 {
        return Err(Error::invalid_input(
            field,
            format!("is {} bytes long; S3 keys are at most 1024 bytes of UTF-8", key.len()),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field_of(r: Result<(), Error>) -> String {
        match r {
            Err(Error::InvalidInput { field, .. }) => field,
            other => panic!("expected invalid input, got {other:?}"),
        }
    }

    #[test]
    fn good_bucket_names_pass() {
        for name in ["abc", "my-bucket", "my.bucket.1", "a".repeat(63).as_str()] {
            assert!(bucket_name(name).is_ok(), "{name}");
        }
    }

    #[test]
    fn bad_bucket_names_name_the_field() {
        for name in [
            "", "ab", "My-Bucket", "my_bucket", "-abc", "abc-", "a..b", "a.-b", "192.168.1.1", "xn--abc", "my bucket",
        ] {
            assert_eq!(field_of(bucket_name(name)), "bucket-name", "{name}");
        }
        assert_eq!(field_of(bucket_name(&"a".repeat(64))), "bucket-name");
    }

    #[test]
    fn key_lengths_are_checked_in_bytes() {
        assert!(object_key("object-path", &"é".repeat(512)).is_ok());
        assert_eq!(field_of(object_key("object-path", &"é".repeat(513))), "object-path");
        assert_eq!(field_of(object_key("object-path", "")), "object-path");
    }
}
