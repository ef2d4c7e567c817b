//! Least-privilege IAM policies: the permissions the chosen operations
//! need, each on the resource S3 checks it against.
//!
//! <https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html>
//! lists, for each action, its resource type: the account (`*`), a bucket
//! (`arn:aws:s3:::bucket`) or an object (`arn:aws:s3:::bucket/*`). A
//! statement per resource kind keeps the document short and exact.

use crate::encode::Encode;
use crate::error::Error;
use crate::ops::Operation;

/// What an IAM action is checked against.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ResourceKind {
    /// No resource: `*` (List Buckets).
    Account,
    /// The bucket itself.
    Bucket,
    /// The objects in the bucket.
    Object,
}

/// The resource kind of `permission`, from the Service Authorization
/// Reference; `None` for an action this table does not know (a test checks
/// that every permission of the registry is known).
pub fn resource_kind(permission: &str) -> Option<ResourceKind> {
    use ResourceKind::{Account, Bucket, Object};
    Some(match permission {
        "s3:ListAllMyBuckets" => Account,
        "s3:CreateBucket"
        | "s3:ListBucket"
        | "s3:ListBucketVersions"
        | "s3:ListBucketMultipartUploads"
        | "s3:GetBucketLocation"
        | "s3:DeleteBucket"
        | "s3:PutBucketOwnershipControls"
        | "s3:PutBucketAcl" => Bucket,
        "s3:GetObject"
        | "s3:GetObjectVersion"
        | "s3:PutObject"
        | "s3:PutObjectAcl"
        | "s3:PutObjectVersionAcl"
        | "s3:DeleteObject"
        | "s3:DeleteObjectVersion"
        | "s3:ListMultipartUploadParts"
        | "s3:AbortMultipartUpload"
        | "s3:GetObjectTagging"
        | "s3:GetObjectVersionTagging"
        | "s3:PutObjectTagging"
        | "s3:PutObjectVersionTagging"
        | "s3:DeleteObjectTagging"
        | "s3:DeleteObjectVersionTagging" => Object,
        _ => return None,
    })
}

/// An IAM policy document; its JSON has the fields in AWS's order.
#[derive(Clone, Debug, PartialEq, Eq, Encode)]
#[cfg_attr(test, derive(serde::Serialize))]
pub struct Policy {
    /// `2012-10-17`, the version of the policy language.
    #[serde(rename = "Version")]
    pub version: &'static str,
    /// One statement per resource kind, in [`ResourceKind`]'s order.
    #[serde(rename = "Statement")]
    pub statement: Vec<Statement>,
}

/// A statement that allows `action` on `resource`.
#[derive(Clone, Debug, PartialEq, Eq, Encode)]
#[cfg_attr(test, derive(serde::Serialize))]
pub struct Statement {
    /// Names the resource kind: `Account`, `Bucket` or `Objects`.
    #[serde(rename = "Sid")]
    pub sid: &'static str,
    /// Always `Allow`.
    #[serde(rename = "Effect")]
    pub effect: &'static str,
    /// The permissions, sorted.
    #[serde(rename = "Action")]
    pub action: Vec<&'static str>,
    /// `*`, the bucket's ARN, or its objects' (`arn:aws:s3:::bucket/*`).
    #[serde(rename = "Resource")]
    pub resource: String,
}

/// The policy document for `operations` (names; every operation when
/// empty) on `bucket` (every bucket when `None`).
pub fn document(operations: &[String], bucket: Option<&str>) -> Result<Policy, Error> {
    let chosen: Vec<Operation> = if operations.is_empty() {
        Operation::ALL.to_vec()
    } else {
        operations
            .iter()
            .enumerate()
            .map(|(index, name)| {
                Operation::from_name(name.trim()).ok_or_else(|| {
                    Error::invalid_input(
                        &format!("operations[{index}]"),
                        format!("`{name}` is not an operation"),
                    )
                })
            })
            .collect::<Result<_, _>>()?
    };
    if let Some(bucket) = bucket {
        crate::validate::bucket_name(bucket)?;
    }
    let mut kinds: Vec<(ResourceKind, Vec<&'static str>)> = Vec::new();
    for permission in chosen.iter().flat_map(|op| op.required_permissions()) {
        let kind = resource_kind(permission).ok_or_else(|| {
            Error::invalid_input(
                "operations",
                format!("no resource kind is known for `{permission}`"),
            )
        })?;
        match kinds.iter_mut().find(|(k, _)| *k == kind) {
            Some((_, actions)) if actions.contains(permission) => {}
            Some((_, actions)) => actions.push(permission),
            None => kinds.push((kind, vec![permission])),
        }
    }
    // One statement per kind, in the kinds' order: each kind is in `kinds`
    // once, so picking them in order sorts them without a sort.
    let kinds = [ResourceKind::Account, ResourceKind::Bucket, ResourceKind::Object]
        .into_iter()
        .filter_map(|kind| {
            let (_, actions) = kinds.iter_mut().find(|(k, _)| *k == kind)?;
            Some((kind, std::mem::take(actions)))
        });
    let bucket_arn = format!("arn:aws:s3:::{}", bucket.unwrap_or("*"));
    let statement = kinds
        .map(|(kind, mut action)| {
            crate::ops::sort_names(&mut action);
            let (sid, resource) = match kind {
                ResourceKind::Account => ("Account", "*".to_owned()),
                ResourceKind::Bucket => ("Bucket", bucket_arn.clone()),
                ResourceKind::Object => ("Objects", format!("{bucket_arn}/*")),
            };
            Statement {
                sid,
                effect: "Allow",
                action,
                resource,
            }
        })
        .collect();
    Ok(Policy {
        version: "2012-10-17",
        statement,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::encode::to_json;
    use crate::error::ErrorKind;
    use serde_json::{json, Value};

    /// The document for `operations` on `bucket` as a JSON value, read
    /// back from the text the component writes.
    fn document(operations: &[String], bucket: Option<&str>) -> Result<Value, Error> {
        let policy = super::document(operations, bucket)?;
        Ok(serde_json::from_str(&to_json(&policy)).unwrap())
    }

    #[test]
    fn every_permission_of_the_registry_has_a_resource_kind() {
        for op in Operation::ALL {
            for permission in op.required_permissions() {
                assert!(
                    resource_kind(permission).is_some(),
                    "{permission} of {}",
                    op.name()
                );
            }
        }
    }

    #[test]
    fn one_statement_per_resource_kind_on_the_bucket() {
        let policy = document(&["list-objects".into(), "get-object".into()], Some("my-bucket")).unwrap();
        assert_eq!(
            policy["Statement"],
            json!([
                { "Sid": "Bucket", "Effect": "Allow", "Action": ["s3:ListBucket"],
                  "Resource": "arn:aws:s3:::my-bucket" },
                { "Sid": "Objects", "Effect": "Allow", "Action": ["s3:GetObject", "s3:GetObjectVersion"],
                  "Resource": "arn:aws:s3:::my-bucket/*" },
            ])
        );
    }

    #[test]
    fn list_buckets_is_on_the_account_and_no_bucket_means_every_bucket() {
        let policy = document(&["list-buckets".into(), "delete-object".into()], None).unwrap();
        assert_eq!(policy["Statement"][0]["Resource"], "*");
        assert_eq!(policy["Statement"][1]["Resource"], "arn:aws:s3:::*/*");
    }

    #[test]
    fn statements_come_in_the_kinds_order_whatever_the_operations_order() {
        let chosen = ["get-object".into(), "list-objects".into(), "list-buckets".into()];
        let policy = document(&chosen, None).unwrap();
        let sids: Vec<&str> = policy["Statement"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["Sid"].as_str().unwrap())
            .collect();
        assert_eq!(sids, ["Account", "Bucket", "Objects"]);
    }

    #[test]
    fn the_document_keeps_its_fields_in_aws_order() {
        let policy = super::document(&["list-buckets".into()], None).unwrap();
        assert_eq!(
            to_json(&policy),
            r#"{"Version":"2012-10-17","Statement":[{"Sid":"Account","Effect":"Allow","Action":["s3:ListAllMyBuckets"],"Resource":"*"}]}"#
        );
    }

    #[test]
    fn an_unknown_operation_is_named() {
        match document(&["list-objects".into(), "get-objekt".into()], None).map_err(Error::into_kind) {
            Err(ErrorKind::InvalidInput { field, message }) => {
                assert_eq!(field, "operations[1]");
                assert!(message.contains("get-objekt"), "{message}");
            }
            other => panic!("expected invalid input, got {other:?}"),
        }
    }

    #[test]
    fn a_bad_bucket_name_is_refused() {
        assert!(document(&[], Some("No_Such")).is_err());
    }
}
