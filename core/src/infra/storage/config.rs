//! Which store `DOJANG_STORAGE_URL` names, and opening it: `file:///srv/dojang/blobs` (the
//! default is `<data dir>/blobs`) or `s3://bucket/prefix`, with the S3 endpoint, region,
//! credentials and addressing style from `DOJANG_S3_*` (or, when those are unset, the
//! standard `AWS_*` variables and instance credentials).

use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::prefix::PrefixStore;
use object_store::ObjectStore;
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Clone)]
pub enum StorageConfig {
    /// A folder on this machine's disk (one machine, or a shared mount).
    Local { root: PathBuf },
    /// A bucket of an S3-compatible service, under a key prefix.
    S3(S3Config),
}

#[derive(Clone, Default)]
pub struct S3Config {
    pub bucket: String,
    /// Keys are stored under `<prefix>/` when it is not empty.
    pub prefix: String,
    /// The service's URL (MinIO, Ceph, Garage, R2, NCP…); AWS when unset.
    pub endpoint: Option<String>,
    pub region: Option<String>,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
    /// `https://endpoint/bucket/key` instead of `https://bucket.endpoint/key`.
    pub path_style: bool,
    /// Whether a plain `http://` endpoint is allowed (a local test server).
    pub allow_http: bool,
}

impl std::fmt::Debug for StorageConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

fn flag(get: &impl Fn(&str) -> Option<String>, name: &str) -> Result<bool, String> {
    match get(name).as_deref().map(str::to_ascii_lowercase).as_deref() {
        None | Some("0") | Some("false") | Some("no") => Ok(false),
        Some("1") | Some("true") | Some("yes") => Ok(true),
        Some(other) => Err(format!("{name} must be true or false, not {other:?}")),
    }
}

impl StorageConfig {
    /// The store a URL names; `get` reads the `DOJANG_S3_*` settings for `s3://` URLs.
    pub fn parse(url: &str, get: impl Fn(&str) -> Option<String>) -> Result<Self, String> {
        if let Some(path) = url.strip_prefix("file://") {
            if path.is_empty() {
                return Err("a file:// storage URL needs a folder, e.g. file:///srv/dojang/blobs".into());
            }
            return Ok(Self::Local { root: PathBuf::from(path) });
        }
        let Some(rest) = url.strip_prefix("s3://") else {
            return Err(format!("DOJANG_STORAGE_URL must be file:///folder or s3://bucket/prefix, not {url:?}"));
        };
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        let bucket_ok = (3..=63).contains(&bucket.len()) && bucket.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-.".contains(&b));
        if !bucket_ok {
            return Err(format!("{bucket:?} is not an S3 bucket name (3–63 lowercase letters, digits, '-' and '.')"));
        }
        let prefix = prefix.trim_matches('/');
        if prefix.split('/').any(|p| p == "." || p == "..") || prefix.contains("//") {
            return Err(format!("the storage prefix {prefix:?} must be a plain path"));
        }
        Ok(Self::S3(S3Config {
            bucket: bucket.to_owned(),
            prefix: prefix.to_owned(),
            endpoint: get("DOJANG_S3_ENDPOINT"),
            region: get("DOJANG_S3_REGION"),
            access_key_id: get("DOJANG_S3_ACCESS_KEY_ID"),
            secret_access_key: get("DOJANG_S3_SECRET_ACCESS_KEY"),
            path_style: flag(&get, "DOJANG_S3_PATH_STYLE")?,
            allow_http: flag(&get, "DOJANG_S3_ALLOW_HTTP")?,
        }))
    }

    /// Where the bytes are, without credentials.
    pub fn describe(&self) -> String {
        match self {
            Self::Local { root } => format!("file://{}", root.display()),
            Self::S3(s) => {
                let at = s.endpoint.as_deref().map(|e| format!(" at {e}")).unwrap_or_default();
                format!("s3://{}/{}{at}", s.bucket, s.prefix)
            }
        }
    }

    pub(super) fn build(&self) -> anyhow::Result<Arc<dyn ObjectStore>> {
        match self {
            Self::Local { root } => {
                std::fs::create_dir_all(root).map_err(|e| anyhow::anyhow!("creating the storage folder {}: {e}", root.display()))?;
                Ok(Arc::new(LocalFileSystem::new_with_prefix(root)?))
            }
            Self::S3(s) => {
                let mut b = AmazonS3Builder::from_env().with_bucket_name(&s.bucket);
                if let Some(e) = &s.endpoint {
                    b = b.with_endpoint(e);
                }
                if let Some(r) = &s.region {
                    b = b.with_region(r);
                }
                if let (Some(id), Some(secret)) = (&s.access_key_id, &s.secret_access_key) {
                    b = b.with_access_key_id(id).with_secret_access_key(secret);
                }
                let s3 = b.with_virtual_hosted_style_request(!s.path_style).with_allow_http(s.allow_http).build()?;
                Ok(if s.prefix.is_empty() { Arc::new(s3) } else { Arc::new(PrefixStore::new(s3, s.prefix.as_str())) })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_name_a_folder_or_a_bucket_and_prefix() {
        let env = |k: &str| match k {
            "DOJANG_S3_ENDPOINT" => Some("http://127.0.0.1:9000".to_owned()),
            "DOJANG_S3_PATH_STYLE" => Some("true".to_owned()),
            "DOJANG_S3_SECRET_ACCESS_KEY" => Some("very-secret".to_owned()),
            _ => None,
        };
        let StorageConfig::S3(s) = StorageConfig::parse("s3://dojang-prod/tenant-a/", env).unwrap() else { panic!("an s3 store") };
        assert_eq!((s.bucket.as_str(), s.prefix.as_str(), s.path_style, s.allow_http), ("dojang-prod", "tenant-a", true, false));
        let shown = StorageConfig::S3(s).describe();
        assert!(!shown.contains("very-secret"), "{shown}");
        assert!(matches!(StorageConfig::parse("file:///srv/blobs", |_| None).unwrap(), StorageConfig::Local { root } if root == PathBuf::from("/srv/blobs")));
        for bad in ["/srv/blobs", "s3://", "s3://A_Bucket/x", "s3://bucket/a/../b", "gs://bucket", "file://"] {
            assert!(StorageConfig::parse(bad, |_| None).is_err(), "{bad}");
        }
        assert!(StorageConfig::parse("s3://bucket", |k| (k == "DOJANG_S3_ALLOW_HTTP").then(|| "maybe".into())).is_err());
    }
}
