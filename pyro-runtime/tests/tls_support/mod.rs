//! Test certificates made at test time with rcgen: a CA, a server certificate for `localhost`
//! and `127.0.0.1`, a client certificate (CN `pyro client`), and a second, unrelated CA with
//! its own server certificate (the "wrong CA" cases); written as PEM files to a temporary
//! directory removed on drop.
#![allow(dead_code, clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose,
};

/// A certificate and key on disk, with the certificate's DER.
pub struct Issued {
    pub cert: PathBuf,
    pub key: PathBuf,
    pub der: Vec<u8>,
}

pub struct Certs {
    dir: PathBuf,
    pub ca: PathBuf,
    pub server: Issued,
    pub client: Issued,
    pub other_ca: PathBuf,
    pub other_server: Issued,
}

fn ca(name: &str) -> (rcgen::Certificate, KeyPair) {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
    let key = KeyPair::generate().unwrap();
    let cert = params.self_signed(&key).unwrap();
    (cert, key)
}

fn issue(
    dir: &Path,
    file: &str,
    cn: &str,
    names: &[&str],
    usage: ExtendedKeyUsagePurpose,
    issuer: &(rcgen::Certificate, KeyPair),
) -> Issued {
    let mut params = CertificateParams::new(names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>()).unwrap();
    params.distinguished_name.push(DnType::CommonName, cn);
    params.extended_key_usages = vec![usage];
    let key = KeyPair::generate().unwrap();
    let cert = params.signed_by(&key, &issuer.0, &issuer.1).unwrap();
    let (cert_path, key_path) = (dir.join(format!("{file}.crt")), dir.join(format!("{file}.key")));
    std::fs::write(&cert_path, cert.pem()).unwrap();
    std::fs::write(&key_path, key.serialize_pem()).unwrap();
    Issued { cert: cert_path, key: key_path, der: cert.der().to_vec() }
}

impl Certs {
    pub fn new(tag: &str) -> Certs {
        let dir = std::env::temp_dir().join(format!("pyro-tls-{tag}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let authority = ca("pyro test CA");
        let other = ca("some other CA");
        let ca_path = dir.join("ca.crt");
        std::fs::write(&ca_path, authority.0.pem()).unwrap();
        let other_ca = dir.join("other-ca.crt");
        std::fs::write(&other_ca, other.0.pem()).unwrap();
        let server =
            issue(&dir, "server", "localhost", &["localhost", "127.0.0.1"], ExtendedKeyUsagePurpose::ServerAuth, &authority);
        let client = issue(&dir, "client", "pyro client", &[], ExtendedKeyUsagePurpose::ClientAuth, &authority);
        let other_server =
            issue(&dir, "other-server", "localhost", &["localhost", "127.0.0.1"], ExtendedKeyUsagePurpose::ServerAuth, &other);
        Certs { dir, ca: ca_path, server, client, other_ca, other_server }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

impl Drop for Certs {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

pub fn text(path: &Path) -> String {
    path.to_str().unwrap().to_owned()
}
