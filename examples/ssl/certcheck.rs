//! The certificate checks of Pyro5's `ssl` example, shared by `ssl_server` and `ssl_client`:
//! the serial number, the issuer's organization, the subject's country and organization.
//! (Host name and validity dates are checked by TLS itself.)

use x509_parser::prelude::{FromDer, X509Certificate, X509Name};

/// The certificate directory, as the Python programs have it: the first argument, else
/// `../../certs` (Pyro5's demo certificates, seen from its `examples/ssl` directory).
pub fn certs_dir() -> std::path::PathBuf {
    std::env::args_os().nth(1).map_or_else(|| "../../certs".into(), Into::into)
}

fn organization<'a>(name: &'a X509Name<'_>) -> Option<&'a str> {
    name.iter_organization().next().and_then(|a| a.as_str().ok())
}

/// Checks the peer's certificate `chain` (DER, its own first): `Ok` with its serial number and
/// subject organization, or the reason (Pyro5's `CommunicationError` message) to refuse it.
pub fn verify_cert(chain: &[Vec<u8>], serial: &str, missing: &str) -> Result<(String, String), String> {
    let der = chain.first().ok_or_else(|| missing.to_owned())?;
    let (_, cert) = X509Certificate::from_der(der).map_err(|e| format!("unreadable certificate: {e}"))?;
    let found: String = cert.raw_serial().iter().skip_while(|b| **b == 0).map(|b| format!("{b:02X}")).collect();
    if found != serial {
        return Err(format!("('cert serial number incorrect', '{found}')"));
    }
    if organization(cert.issuer()) != Some("Razorvine.net") {
        return Err("cert not issued by Razorvine.net".into());
    }
    let subject = cert.subject();
    if subject.iter_country().next().and_then(|a| a.as_str().ok()) != Some("NL") {
        return Err("cert not for country NL".into());
    }
    let subject_org = organization(subject).unwrap_or_default();
    if subject_org != "Razorvine.net" {
        return Err("cert not for Razorvine.net".into());
    }
    Ok((found, subject_org.to_owned()))
}
