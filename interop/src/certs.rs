//! [`TestCerts`]: TLS certificates made at test time with rcgen, written as PEM files to a
//! temporary directory (removed on drop) for the `SSL_*` settings of both sides.

use std::path::{Path, PathBuf};

use rcgen::{BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose};

/// A certificate and its unencrypted key as PEM files, with the certificate's DER.
///
/// See [`TestCerts`] for an example.
#[derive(Debug)]
pub struct Issued {
    /// The PEM certificate file.
    pub cert: PathBuf,
    /// The PEM private key file (PKCS#8, unencrypted).
    pub key: PathBuf,
    /// The certificate, DER encoded.
    pub der: Vec<u8>,
}

/// A test CA with a server certificate (CN `localhost`, valid for `localhost` and
/// `127.0.0.1`; organization `Razorvine.net`, country `NL` and the serial number of Pyro5's demo
/// server certificate) and a client certificate (CN `pyro client`, same organization and
/// country, the serial number of Pyro5's demo client certificate); and a second,
/// unrelated CA with a server certificate of its own (for the "wrong CA" cases). Panics if the
/// files cannot be written (it is for tests).
///
/// ```
/// let certs = pyro_interop::TestCerts::new("doc");
/// assert!(certs.ca.is_file() && certs.server.key.is_file() && certs.client.cert.is_file());
/// assert_ne!(certs.server.der, certs.other_server.der);
/// ```
#[derive(Debug)]
pub struct TestCerts {
    dir: PathBuf,
    /// The CA certificate file (for `SSL_CACERTS`).
    pub ca: PathBuf,
    /// The server's certificate, issued by [`ca`](TestCerts::ca).
    pub server: Issued,
    /// The client's certificate, issued by [`ca`](TestCerts::ca).
    pub client: Issued,
    /// Another CA's certificate file.
    pub other_ca: PathBuf,
    /// A server certificate issued by [`other_ca`](TestCerts::other_ca).
    pub other_server: Issued,
}

type Authority = (rcgen::Certificate, KeyPair);

fn must<T, E: std::fmt::Display>(result: Result<T, E>, what: &str) -> T {
    result.unwrap_or_else(|e| panic!("making test certificates ({what}): {e}"))
}

fn authority(name: &str) -> Authority {
    let mut params = must(CertificateParams::new(Vec::<String>::new()), "CA parameters");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    params.distinguished_name.push(DnType::OrganizationName, "Razorvine.net");
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
    let key = must(KeyPair::generate(), "CA key");
    let cert = must(params.self_signed(&key), "CA certificate");
    (cert, key)
}

/// The serial numbers of Pyro5's demo server and client certificates (its `ssl` example checks them).
const SERVER_SERIAL: [u8; 20] = [
    0x63, 0xB5, 0xA2, 0xEB, 0x71, 0xE2, 0xC7, 0x8C, 0xBE, 0x42, 0x00, 0xC7, 0xEA, 0xB9, 0x63, 0x4E, 0x7B, 0x66, 0x94,
    0x07,
];
const CLIENT_SERIAL: [u8; 20] = [
    0x1F, 0xAB, 0xD7, 0x33, 0x20, 0x0A, 0x52, 0xDC, 0xED, 0x07, 0x02, 0xB7, 0xA8, 0x56, 0x77, 0x3F, 0x37, 0xAA, 0xC0,
    0xE3,
];

fn issue(dir: &Path, file: &str, cn: &str, names: &[&str], usage: ExtendedKeyUsagePurpose, by: &Authority) -> Issued {
    let mut params = must(CertificateParams::new(names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>()), file);
    match usage {
        ExtendedKeyUsagePurpose::ServerAuth => params.serial_number = Some(SERVER_SERIAL.to_vec().into()),
        ExtendedKeyUsagePurpose::ClientAuth => params.serial_number = Some(CLIENT_SERIAL.to_vec().into()),
        _ => {}
    }
    params.distinguished_name.push(DnType::CommonName, cn);
    params.distinguished_name.push(DnType::OrganizationName, "Razorvine.net");
    params.distinguished_name.push(DnType::CountryName, "NL");
    params.extended_key_usages = vec![usage];
    let key = must(KeyPair::generate(), file);
    let cert = must(params.signed_by(&key, &by.0, &by.1), file);
    let (cert_path, key_path) = (dir.join(format!("{file}.crt")), dir.join(format!("{file}.key")));
    must(std::fs::write(&cert_path, cert.pem()), file);
    must(std::fs::write(&key_path, key.serialize_pem()), file);
    Issued { cert: cert_path, key: key_path, der: cert.der().to_vec() }
}

impl TestCerts {
    /// Makes the certificates in a new temporary directory named after `tag` and the process.
    ///
    /// See [`TestCerts`] for an example.
    pub fn new(tag: &str) -> TestCerts {
        let dir = std::env::temp_dir().join(format!("pyro-tls-{tag}-{}", std::process::id()));
        must(std::fs::create_dir_all(&dir), "directory");
        let ca = authority("pyro test CA");
        let other = authority("some other CA");
        let ca_path = dir.join("ca.crt");
        must(std::fs::write(&ca_path, ca.0.pem()), "CA file");
        let other_ca = dir.join("other-ca.crt");
        must(std::fs::write(&other_ca, other.0.pem()), "CA file");
        let server_names = ["localhost", "127.0.0.1"];
        let server = issue(&dir, "server", "localhost", &server_names, ExtendedKeyUsagePurpose::ServerAuth, &ca);
        let client = issue(&dir, "client", "pyro client", &[], ExtendedKeyUsagePurpose::ClientAuth, &ca);
        let other_server =
            issue(&dir, "other-server", "localhost", &server_names, ExtendedKeyUsagePurpose::ServerAuth, &other);
        TestCerts { dir, ca: ca_path, server, client, other_ca, other_server }
    }

    /// Writes the files of Pyro5's `certs` directory into `dir`: `server_cert.pem` and
    /// `client_cert.pem` (each certificate followed by the CA's, so that each is both a
    /// certificate chain and a CA file, as Pyro5's self-signed demo certificates are used),
    /// `server_key.pem` and `client_key.pem`.
    ///
    /// ```
    /// let certs = pyro_interop::TestCerts::new("doc-layout");
    /// let dir = certs.dir().join("certs");
    /// certs.write_pyro5_layout(&dir);
    /// assert!(dir.join("client_key.pem").is_file());
    /// ```
    pub fn write_pyro5_layout(&self, dir: &Path) {
        must(std::fs::create_dir_all(dir), "certs directory");
        let ca = must(std::fs::read_to_string(&self.ca), "CA file");
        for (name, issued) in [("server", &self.server), ("client", &self.client)] {
            let cert = must(std::fs::read_to_string(&issued.cert), name);
            must(std::fs::write(dir.join(format!("{name}_cert.pem")), format!("{cert}{ca}")), name);
            must(std::fs::copy(&issued.key, dir.join(format!("{name}_key.pem"))), name);
        }
    }

    /// The directory holding the files.
    ///
    /// ```
    /// let certs = pyro_interop::TestCerts::new("doc-dir");
    /// assert!(certs.dir().join("ca.crt").is_file());
    /// ```
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

impl Drop for TestCerts {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A path as text (for Python's `Pyro5.config`); panics on a non-UTF-8 path.
///
/// ```
/// assert_eq!(pyro_interop::path_text(std::path::Path::new("/tmp/ca.crt")), "/tmp/ca.crt");
/// ```
pub fn path_text(path: &Path) -> String {
    path.to_str().unwrap_or_else(|| panic!("non-UTF-8 path {}", path.display())).to_owned()
}
