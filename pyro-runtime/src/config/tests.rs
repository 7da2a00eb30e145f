//! Tests of the configuration against Pyro5 5.17.

#![allow(clippy::unwrap_used)]

use std::path::PathBuf;
use std::time::Duration;

use super::*;

/// `python -m Pyro5.configure` with no `PYRO_*` variables, after its header.
const PYTHON_DUMP: &str = "BROADCAST_ADDRS = ['<broadcast>', '0.0.0.0']
COMMTIMEOUT = 0.0
COMPRESSION = False
DETAILED_TRACEBACK = False
HOST = localhost
ITER_STREAMING = True
ITER_STREAM_LIFETIME = 0.0
ITER_STREAM_LINGER = 30.0
LOGFILE = pyro5.log
LOGLEVEL = None
LOGWIRE = False
MAX_MESSAGE_SIZE = 1073741824
MAX_RETRIES = 0
NATHOST = None
NATPORT = 0
NS_AUTOCLEAN = 0.0
NS_BCHOST = None
NS_BCPORT = 9091
NS_HOST = localhost
NS_LOOKUP_DELAY = 0.0
NS_PORT = 9090
POLLTIMEOUT = 2.0
PREFER_IP_VERSION = 0
SERIALIZER = serpent
SERPENT_BYTES_REPR = False
SERVERTYPE = thread
SOCK_NODELAY = False
SOCK_REUSE = True
SSL = False
SSL_CACERTS = 
SSL_CLIENTCERT = 
SSL_CLIENTKEY = 
SSL_CLIENTKEYPASSWD = 
SSL_REQUIRECLIENTCERT = False
SSL_SERVERCERT = 
SSL_SERVERKEY = 
SSL_SERVERKEYPASSWD = 
THREADPOOL_SIZE = 80
THREADPOOL_SIZE_MIN = 4";

#[test]
fn defaults_are_pyro5s_except_the_serializer() {
    let config = Config::default();
    let dump = config.dump();
    let (header, settings) = dump.split_once("settings:\n").unwrap();
    assert!(header.contains("Protocol version: 502"), "{header}");
    let (settings, extensions) = settings.split_once("\npyro extensions:\n").unwrap();
    assert_eq!(settings, PYTHON_DUMP.replace("SERIALIZER = serpent", "SERIALIZER = auto"));
    assert_eq!(extensions, "NS_LOCATIONS = ");
    assert!(config.ns_locations.is_empty());
    assert_eq!(config.validate(), Ok(()));
}

#[test]
fn items_are_in_pyro5_order() {
    let names: Vec<&str> = Config::default().items().into_iter().map(|(name, _)| name).collect();
    assert_eq!(names, Config::ITEMS);
    let mut sorted = names.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(sorted.len(), 39);
}

/// (variable, value, `str(config.ITEM)` afterwards) as Pyro5 5.17 gives them.
#[test]
fn values_read_like_pyro5() {
    let cases = [
        ("COMMTIMEOUT", "1e-05", "1e-05"),
        ("COMMTIMEOUT", "1e16", "1e+16"),
        ("COMMTIMEOUT", " 0.1 ", "0.1"),
        ("COMMTIMEOUT", "1_0.5", "10.5"),
        ("COMMTIMEOUT", "3", "3.0"),
        ("COMMTIMEOUT", "0", "0.0"),
        ("COMPRESSION", "TRUE", "True"),
        ("COMPRESSION", "Yes", "True"),
        ("COMPRESSION", "on", "True"),
        ("COMPRESSION", "1", "True"),
        ("COMPRESSION", "OFF", "False"),
        ("COMPRESSION", "no", "False"),
        ("COMPRESSION", "0", "False"),
        ("COMPRESSION", "false", "False"),
        ("BROADCAST_ADDRS", " a , b,,", "['a', 'b', '', '']"),
        ("BROADCAST_ADDRS", "", "['']"),
        ("NS_PORT", " 9_999 ", "9999"),
        ("SSL_CACERTS", "/etc/ca", "/etc/ca"),
        ("MAX_MESSAGE_SIZE", "1_000_000", "1000000"),
        ("LOGLEVEL", "DEBUG", "DEBUG"),
        ("HOST", " spaced ", " spaced "),
        ("NATHOST", "gateway", "gateway"),
        ("PREFER_IP_VERSION", "6", "6"),
        ("SERVERTYPE", "multiplex", "multiplex"),
        ("SERIALIZER", "json", "json"),
        ("THREADPOOL_SIZE", "+8", "8"),
    ];
    for (item, value, text) in cases {
        let mut config = Config::default();
        config.apply_vars([(format!("PYRO_{item}"), value)]).unwrap();
        assert_eq!(config.get(item).unwrap(), text, "PYRO_{item}={value:?}");
    }
}

#[test]
fn typed_fields() {
    let mut config = Config::default();
    config.set("COMMTIMEOUT", "2.5").unwrap();
    config.set("NS_AUTOCLEAN", "3").unwrap();
    config.set("ITER_STREAM_LIFETIME", "0").unwrap();
    config.set("ITER_STREAM_LINGER", "0").unwrap();
    config.set("PREFER_IP_VERSION", "4").unwrap();
    config.set("SERVERTYPE", "multiplex").unwrap();
    config.set("SERIALIZER", "json").unwrap();
    config.set("SSL_SERVERCERT", "/etc/cert.pem").unwrap();
    config.set("SSL_SERVERKEYPASSWD", "secret").unwrap();
    config.set("NATPORT", "5555").unwrap();
    assert_eq!(config.comm_timeout, Some(Duration::from_millis(2500)));
    assert_eq!(config.ns_autoclean, Some(Duration::from_secs(3)));
    assert_eq!(config.iter_stream_lifetime, None);
    assert_eq!(config.iter_stream_linger, Duration::ZERO);
    assert_eq!(config.prefer_ip_version, IpVersion::V4);
    assert_eq!(config.server_type, ServerType::Multiplex);
    assert_eq!(config.serializer, Some(Serializer::Json));
    assert_eq!(config.ssl_server_cert, Some(PathBuf::from("/etc/cert.pem")));
    assert_eq!(config.ssl_server_key_password.as_ref().map(|p| p.expose()), Some("secret"));
    assert_eq!(config.nat_port, 5555);
    // An empty value means none (Pyro5 keeps "" but treats it as unset).
    config.set("SSL_SERVERCERT", "").unwrap();
    config.set("NATHOST", "").unwrap();
    assert_eq!((config.ssl_server_cert.as_ref(), config.nat_host.as_ref()), (None, None));
}

/// Which error a bad value must give.
type IsExpected = fn(&ConfigError) -> bool;

#[test]
fn bad_values_name_the_item_and_text() {
    let cases: [(&str, &str, IsExpected); 15] = [
        ("COMPRESSION", " true", |e| matches!(e, ConfigError::InvalidBool { item: "COMPRESSION", .. })),
        ("SOCK_REUSE", "2", |e| matches!(e, ConfigError::InvalidBool { item: "SOCK_REUSE", .. })),
        ("NS_PORT", "9.0", |e| matches!(e, ConfigError::InvalidValue { item: "NS_PORT", .. })),
        ("NS_PORT", "65536", |e| matches!(e, ConfigError::InvalidValue { item: "NS_PORT", .. })),
        ("NS_BCPORT", "-1", |e| matches!(e, ConfigError::InvalidValue { item: "NS_BCPORT", .. })),
        ("THREADPOOL_SIZE", "-1", |e| matches!(e, ConfigError::InvalidValue { item: "THREADPOOL_SIZE", .. })),
        ("MAX_RETRIES", "x", |e| matches!(e, ConfigError::InvalidValue { item: "MAX_RETRIES", .. })),
        ("MAX_MESSAGE_SIZE", "1e9", |e| matches!(e, ConfigError::InvalidValue { item: "MAX_MESSAGE_SIZE", .. })),
        ("COMMTIMEOUT", "-1", |e| matches!(e, ConfigError::InvalidValue { item: "COMMTIMEOUT", .. })),
        ("COMMTIMEOUT", "nan", |e| matches!(e, ConfigError::InvalidValue { item: "COMMTIMEOUT", .. })),
        // Pyro5 takes `inf`; a Duration cannot hold it.
        ("POLLTIMEOUT", "inf", |e| matches!(e, ConfigError::InvalidValue { item: "POLLTIMEOUT", .. })),
        ("NS_LOOKUP_DELAY", "soon", |e| matches!(e, ConfigError::InvalidValue { item: "NS_LOOKUP_DELAY", .. })),
        ("PREFER_IP_VERSION", "5", |e| matches!(e, ConfigError::InvalidValue { item: "PREFER_IP_VERSION", .. })),
        ("SERVERTYPE", "Thread", |e| matches!(e, ConfigError::InvalidValue { item: "SERVERTYPE", .. })),
        ("SERIALIZER", "pickle", |e| matches!(e, ConfigError::InvalidValue { item: "SERIALIZER", .. })),
    ];
    for (item, value, expected) in cases {
        let mut config = Config::default();
        let err = config.set(item, value).unwrap_err();
        assert!(expected(&err), "{item}={value:?}: {err:?}");
        assert!(err.to_string().contains(item) && err.to_string().contains(value.trim()), "{err}");
        assert_eq!(config, Config::default(), "{item}={value:?} changed the config");
    }
    assert_eq!(Config::default().set("host", "x"), Err(ConfigError::UnknownItem { item: "host".into() }));
    assert_eq!(
        Config::default().set("NS_PORT", "9.0").unwrap_err().to_string(),
        "invalid Pyro config value: NS_PORT=9.0 (expected an integer from 0 to 65535)"
    );
}

#[test]
fn environment_variables() {
    let mut config = Config::default();
    config
        .apply_vars([
            ("PATH", "/bin"),
            ("PYRO", "x"),
            ("PYRO_HOST", "0.0.0.0"),
            ("pyro_host", "y"),
            ("PYRO_NS_PORT", "1"),
        ])
        .unwrap();
    assert_eq!((config.host.as_str(), config.ns_port), ("0.0.0.0", 1));

    for name in ["PYRO_host", "PYRO_ONEWAY_THREADED", "PYRO_", "PYRO_HOST "] {
        let err = config.apply_vars([(name, "1")]).unwrap_err();
        assert_eq!(err, ConfigError::UnknownVariable { name: name.into() });
        assert_eq!(err.to_string(), format!("invalid Pyro environment config variable: {name}"));
    }
    // All or nothing.
    let before = config.clone();
    assert!(config.apply_vars([("PYRO_HOST", "changed"), ("PYRO_NS_PORT", "x")]).is_err());
    assert_eq!(config, before);
}

#[test]
fn from_env_reads_the_process_environment() {
    let pyro_vars: Vec<(String, String)> = std::env::vars().filter(|(name, _)| name.starts_with("PYRO_")).collect();
    let mut expected = Config::default();
    let expected = expected.apply_vars(pyro_vars.iter().map(|(k, v)| (k, v))).map(|()| expected);
    assert_eq!(Config::from_env(), expected);
}

#[test]
fn text_sets_back_to_the_same_value() {
    let mut config = Config::default();
    config
        .apply_vars([
            ("PYRO_NS_BCHOST", "bc"),
            ("PYRO_NATHOST", "nat"),
            ("PYRO_LOGLEVEL", "INFO"),
            ("PYRO_COMMTIMEOUT", "0.25"),
            ("PYRO_NS_AUTOCLEAN", "4.5"),
            ("PYRO_SSL_CLIENTKEY", "/k"),
            ("PYRO_SSL_CLIENTKEYPASSWD", "pw"),
            ("PYRO_PREFER_IP_VERSION", "6"),
        ])
        .unwrap();
    let mut copy = Config::default();
    for (item, text) in config.items() {
        // BROADCAST_ADDRS prints as a Python list; its input form is comma-separated.
        if item != "BROADCAST_ADDRS" {
            copy.set(item, &text).unwrap();
        }
    }
    assert_eq!(copy, config);
}

#[test]
fn validate_like_pyro5() {
    let ok = |c: Config| c.validate();
    assert_eq!(ok(Config { threadpool_size: 1, threadpool_size_min: 1, ..Config::default() }), Ok(()));
    assert_eq!(ok(Config { ns_autoclean: Some(Duration::from_secs(3)), ..Config::default() }), Ok(()));
    let invalid = |c: Config| match c.validate() {
        Err(ConfigError::Invalid { item, .. }) => item,
        other => panic!("{other:?}"),
    };
    assert_eq!(invalid(Config { threadpool_size: 0, ..Config::default() }), "THREADPOOL_SIZE");
    assert_eq!(invalid(Config { threadpool_size_min: 0, ..Config::default() }), "THREADPOOL_SIZE_MIN");
    assert_eq!(invalid(Config { threadpool_size: 3, ..Config::default() }), "THREADPOOL_SIZE_MIN");
    assert_eq!(
        invalid(Config { ns_autoclean: Some(Duration::from_millis(2999)), ..Config::default() }),
        "NS_AUTOCLEAN"
    );
    let mut config = Config::default();
    config.set("NS_AUTOCLEAN", "1").unwrap();
    assert_eq!(
        config.validate().unwrap_err().to_string(),
        "invalid config NS_AUTOCLEAN: NS_AUTOCLEAN cannot be smaller than 3 (is 1s)"
    );
}

#[test]
fn enums() {
    for server in [ServerType::Thread, ServerType::Multiplex] {
        assert_eq!(server.as_str().parse::<ServerType>().unwrap(), server);
    }
    for version in [IpVersion::Any, IpVersion::V4, IpVersion::V6] {
        assert_eq!(IpVersion::from_number(version.number()), Some(version));
    }
    assert_eq!(IpVersion::from_number(5), None);
}

#[test]
fn settings_pyro_cannot_honour_are_refused_by_name() {
    let refused = |item: &str, value: &str| {
        let mut config = Config::default();
        config.set(item, value).unwrap();
        match config.validate() {
            Err(ConfigError::Unsupported { item, value, .. }) => format!("{item}={value}"),
            other => panic!("{item}={value}: {other:?}"),
        }
    };
    assert_eq!(refused("DETAILED_TRACEBACK", "yes"), "DETAILED_TRACEBACK=True");
    assert_eq!(refused("SOCK_REUSE", "off"), "SOCK_REUSE=False");
    // The logging items are honoured (see `logging`), any log file name included.
    let mut config = Config::default();
    config
        .apply_vars([
            ("PYRO_LOGFILE", "/tmp/app.log"),
            ("PYRO_LOGLEVEL", "DEBUG"),
            ("PYRO_LOGWIRE", "true"),
            ("PYRO_POLLTIMEOUT", "0.1"),
        ])
        .unwrap();
    assert_eq!(config.validate(), Ok(()));
    config.set("LOGFILE", "{stderr}").unwrap();
    assert_eq!(config.validate(), Ok(()));
    // A level Python's `logging` does not know is refused (Pyro5 fails at import).
    config.set("LOGLEVEL", "LOUD").unwrap();
    assert!(matches!(config.validate(), Err(ConfigError::Invalid { item: "LOGLEVEL", .. })));
    let mut config = Config::default();
    config.set("DETAILED_TRACEBACK", "true").unwrap();
    assert_eq!(
        config.validate().unwrap_err().to_string(),
        "unsupported Pyro config value: DETAILED_TRACEBACK=True (Rust methods have no Python frames or local variables to send)"
    );
    // The multiplexed server exists on Unix, with TLS too.
    let multiplex = Config { server_type: ServerType::Multiplex, ..Config::default() };
    assert_eq!(multiplex.validate().is_ok(), cfg!(unix));
    let tls = Config { ssl: true, ..multiplex };
    assert_eq!(tls.validate().is_ok(), cfg!(unix));
}

#[test]
fn a_daemon_refuses_to_start_with_an_unsupported_setting() {
    let config = Config { detailed_traceback: true, ..Config::default() };
    let err = crate::Daemon::builder().config(config).host("127.0.0.1").port(0).bind().unwrap_err();
    assert!(
        matches!(&err, crate::Error::Config(ConfigError::Unsupported { item: "DETAILED_TRACEBACK", .. })),
        "{err:?}"
    );
}

#[test]
fn ns_locations_is_an_extension_item_with_its_own_prefix() {
    let mut config = Config::default();
    config
        .apply_vars([("PYRO5_NS_LOCATIONS", "127.0.0.1:9090, [::1]:9091"), ("PYRO5_VENV", "/venv"), ("PYRO5_X", "y")])
        .unwrap();
    assert_eq!(config.ns_locations, [Location::tcp("127.0.0.1", 9090), Location::tcp("::1", 9091)]);
    assert_eq!(config.get("NS_LOCATIONS").as_deref(), Some("127.0.0.1:9090,[::1]:9091"));
    assert!(config.dump().ends_with("\npyro extensions:\nNS_LOCATIONS = 127.0.0.1:9090,[::1]:9091"));
    assert!(!config.items().iter().any(|(name, _)| *name == "NS_LOCATIONS"), "items() stays Pyro5's");
    // Set by name like a Pyro5 item; empty clears it.
    let mut copy = Config::default();
    copy.set("NS_LOCATIONS", &config.get("NS_LOCATIONS").unwrap()).unwrap();
    assert_eq!(copy, config);
    copy.set("NS_LOCATIONS", "").unwrap();
    assert_eq!(copy.ns_locations, []);

    // Python's Pyro5 refuses PYRO_NS_LOCATIONS at import: so does pyro, saying what to set.
    let err = config.apply_vars([("PYRO_NS_LOCATIONS", "a:1")]).unwrap_err();
    assert_eq!(
        err,
        ConfigError::ExtensionVariable { name: "PYRO_NS_LOCATIONS".into(), instead: "PYRO5_NS_LOCATIONS".into() }
    );
    assert_eq!(
        err.to_string(),
        "wrong prefix for the environment config variable PYRO_NS_LOCATIONS: set PYRO5_NS_LOCATIONS \
         (pyro's own items use PYRO5_, Pyro5's use PYRO_)"
    );
    let err = config.apply_vars([("PYRO5_NS_HOST", "a")]).unwrap_err();
    assert!(matches!(&err, ConfigError::ExtensionVariable { instead, .. } if instead == "PYRO_NS_HOST"), "{err:?}");
    let err = config.apply_vars([("PYRO5_NS_LOCATION", "a:1")]).unwrap_err();
    assert_eq!(err, ConfigError::UnknownVariable { name: "PYRO5_NS_LOCATION".into() });
    // A bad entry names itself; nothing changes.
    let before = config.clone();
    let err = config.apply_vars([("PYRO_NS_PORT", "1"), ("PYRO5_NS_LOCATIONS", "a:1,b")]).unwrap_err();
    assert!(matches!(&err, ConfigError::InvalidLocation { entry, .. } if entry == "b"), "{err:?}");
    assert_eq!(config, before);
    // The builder method.
    let built = Config::default().with_ns_locations(before.ns_locations.clone());
    assert_eq!(built.ns_locations, before.ns_locations);
}
