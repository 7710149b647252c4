"""A real WordPress site for end-to-end tests, built from Debian's packages.

WordPress core's update machinery is where our update client lives or dies, and no fake of it is
honest: nonces bound to the login session, the 12-hour transient, the four update paths (AJAX
"update now", bulk, the `update.php` link, background), maintenance mode and deactivation around
an update. This module drives the real thing: WordPress 6.1 as Debian packages it
(`/usr/share/wordpress`), PHP 8.2's built-in server and a throwaway MariaDB on a unix socket,
all on 127.0.0.1 and all torn down afterwards.

Pieces (the pytest fixtures wiring them live in `conftest.py`):

- `missing_tools()`: what this machine lacks; tests skip (or fail in CI) naming it.
- `MariaDB` / `running_mariadb()`: one throwaway server per test session, a database per site.
- `CoreTemplate`: one resolved, writable copy of `/usr/share/wordpress` per session; sites are
  hard links to it (wp-includes a symlink), and every site after the first starts from a copy
  of the first one's freshly installed database: a new site takes well under a second.
- `WordPressSite`: an installed site served by `php -S`, with a test mu-plugin
  (`igny8-test-env.php`) that lets it download from 127.0.0.1, answers or blocks wordpress.org,
  and captures mail and outgoing HTTP. Methods run PHP with WordPress loaded, install and
  activate plugins, and drive the four update paths as a browser (or WP-cron) would.
- `serve_directory()`: a tiny static HTTP server for packages, recording what was fetched.

See /work/shared/WORDPRESS.md for the measured WordPress facts this harness respects.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from html.parser import HTMLParser
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qs, urljoin, urlsplit

import requests

WORDPRESS_SOURCE = Path("/usr/share/wordpress")
ADMIN_USER = "admin"
ADMIN_PASSWORD = "password"
ADMIN_EMAIL = "admin@example.test"
TEST_THEME = "igny8-test-theme"
MU_PLUGIN = "igny8-test-env.php"
OPCACHE_RESET = "igny8-test-opcache-reset.php"

# What WordPress needs from PHP to install, update plugins (zip, curl) and verify signatures.
REQUIRED_PHP_EXTENSIONS = ("mysqli", "curl", "zip", "sodium", "json", "mbstring", "openssl", "xml")

WporgMode = Literal["online", "offline"]

# debug.log lines that are WordPress core's own, whatever the plugins do: 6.1 predates PHP 8.2
# (deprecations in wp-includes/wp-admin, e.g. Requests' ArrayAccess signatures, trim(null) on
# every wp-login.php view), and a site that cannot reach wordpress.org warns with E_USER_WARNING
# on each version/update check before retrying over plain HTTP.
CORE_NOISE = (
    re.compile(r"PHP Deprecated: .* in \S*/wp-(includes|admin)/"),
    re.compile(r"Something may be wrong with WordPress\.org"),
)
_PHP_PROBLEM = re.compile(r"PHP (Fatal error|Parse error|Warning|Notice|Deprecated|Recoverable fatal error)")


class WordPressHarnessError(RuntimeError):
    """Something in the harness itself failed (a PHP snippet, a server start, a missing nonce)."""


# --------------------------------------------------------------------------------------------
# Tools


def _mariadbd() -> str | None:
    return shutil.which("mariadbd") or shutil.which("mariadbd", path="/usr/sbin:/usr/local/sbin")


def _install_db() -> str | None:
    return shutil.which("mariadb-install-db") or shutil.which("mysql_install_db")


def missing_tools() -> list[str]:
    """Everything this machine lacks to run a real WordPress site, named so a skip says what to
    install (`.ci/run` installs all of it: wordpress php-cli php-mysql php-curl php-zip php-xml
    php-mbstring mariadb-server)."""
    missing: list[str] = []
    php = shutil.which("php")
    if php is None:
        missing.append("php (php-cli)")
    if _mariadbd() is None:
        missing.append("mariadbd (mariadb-server)")
    if _install_db() is None:
        missing.append("mariadb-install-db (mariadb-server)")
    if not (WORDPRESS_SOURCE / "wp-includes" / "version.php").is_file():
        missing.append(f"{WORDPRESS_SOURCE} (wordpress)")
    if php is not None:
        result = subprocess.run([php, "-m"], capture_output=True, text=True, timeout=30, check=False)
        loaded = {line.strip().lower() for line in result.stdout.splitlines()}
        package = {
            "mysqli": "php-mysql",
            "sodium": "php-common",
            "json": "php-common",
            "openssl": "php-common",
        }
        for ext in REQUIRED_PHP_EXTENSIONS:
            if ext not in loaded:
                missing.append(f"PHP extension {ext} ({package.get(ext, f'php-{ext}')})")
    return missing


def free_port() -> int:
    """A port free right now on 127.0.0.1 (the small race with other processes is acceptable)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for(predicate: Any, timeout: float, what: str, log: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            detail = log.read_text(errors="replace")[-4000:] if log is not None and log.exists() else ""
            raise WordPressHarnessError(f"{what} did not come up within {timeout:.0f} s\n{detail}")
        time.sleep(0.05)


def _stop_process(process: subprocess.Popen[Any], timeout: float = 15) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=timeout)


# PHP defines STDIN/STDOUT/STDERR only for a script named on the command line; ours come on stdin.
_STDIO = "if (!defined('STDERR')) { define('STDERR', fopen('php://stderr', 'w')); }"


def _php_string(value: str) -> str:
    """A PHP single-quoted literal for any text (only backslash and quote need escaping)."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


# --------------------------------------------------------------------------------------------
# MariaDB


class MariaDB:
    """A throwaway MariaDB server: its own data dir, a unix socket, no TCP, root without a
    password. WordPress reaches it with DB_HOST 'localhost:/path/to/socket'.

    We usually run as root, which mariadbd refuses unless told `--user=root`; as any other user
    it simply runs as that user."""

    def __init__(self, base_dir: Path) -> None:
        self.base_dir = base_dir
        self.datadir = base_dir / "data"
        # A unix socket path is limited to 107 bytes; pytest's base temp dir can be deep.
        self.socket = base_dir / "mysqld.sock"
        self._socket_dir: Path | None = None
        if len(str(self.socket)) > 100:
            self._socket_dir = Path(tempfile.mkdtemp(prefix="igny8-mdb-"))
            self.socket = self._socket_dir / "mysqld.sock"
        self.log = base_dir / "mariadb.log"
        self._process: subprocess.Popen[bytes] | None = None
        self._user = ["--user=root"] if os.geteuid() == 0 else []

    def start(self) -> None:
        """Initialise the data dir (about a second) and start the server on the socket."""
        install_db, mariadbd = _install_db(), _mariadbd()
        if install_db is None or mariadbd is None:
            raise WordPressHarnessError("MariaDB is not installed (mariadb-server)")
        self.base_dir.mkdir(parents=True, exist_ok=True)
        result = subprocess.run(
            [
                install_db,
                "--no-defaults",
                f"--datadir={self.datadir}",
                "--auth-root-authentication-method=normal",
                "--skip-test-db",
                *self._user,
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if result.returncode != 0:
            raise WordPressHarnessError(f"mariadb-install-db failed:\n{result.stdout}\n{result.stderr}")
        log = self.log.open("ab")
        self._process = subprocess.Popen(
            [
                mariadbd,
                "--no-defaults",
                f"--datadir={self.datadir}",
                f"--socket={self.socket}",
                "--skip-networking",
                f"--pid-file={self.base_dir / 'mariadbd.pid'}",
                f"--log-error={self.log}",
                "--skip-log-bin",
                "--innodb-buffer-pool-size=64M",
                # Test data is throwaway: no fsync per commit.
                "--innodb-flush-log-at-trx-commit=0",
                "--skip-name-resolve",
                *self._user,
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        process = self._process

        def ready() -> bool:
            if process.poll() is not None:
                raise WordPressHarnessError(
                    f"mariadbd exited:\n{self.log.read_text(errors='replace')[-4000:]}"
                )
            return self.socket.exists() and self._ping()

        _wait_for(ready, 60, "mariadbd", self.log)

    def _ping(self) -> bool:
        try:
            self.query("SELECT 1")
        except WordPressHarnessError:
            return False
        return True

    def _mysqli(self, body: str) -> str:
        """Run PHP with `$db`, a mysqli connection as root over the socket (no mariadb client
        needed); returns stdout."""
        script = (
            f"<?php {_STDIO} mysqli_report(MYSQLI_REPORT_OFF);"
            f"$db = @new mysqli('localhost', 'root', '', '', 0, {_php_string(str(self.socket))});"
            "if ($db->connect_errno) { fwrite(STDERR, $db->connect_error); exit(1); }\n" + body
        )
        result = subprocess.run(
            ["php"], input=script, capture_output=True, text=True, timeout=60, check=False
        )
        if result.returncode != 0:
            raise WordPressHarnessError(f"MariaDB via mysqli failed:\n{body}\n{result.stderr}{result.stdout}")
        return result.stdout

    def query(self, sql: str, *, multi: bool = False) -> str:
        """Run SQL as root; returns the rows of a single statement as JSON. `multi`: several
        `;`-separated statements, no rows."""
        if multi:
            return self._mysqli(
                f"if (!$db->multi_query({_php_string(sql)})) {{ fwrite(STDERR, $db->error); exit(1); }}"
                "do { if ($r = $db->store_result()) { $r->free(); } } while ($db->more_results() && $db->next_result());"
                "if ($db->errno) { fwrite(STDERR, $db->error); exit(1); }"
                "echo '[]';"
            )
        return self._mysqli(
            f"$r = $db->query({_php_string(sql)});"
            "if ($r === false) { fwrite(STDERR, $db->error); exit(1); }"
            "echo json_encode($r === true ? [] : $r->fetch_all(MYSQLI_ASSOC));"
        )

    def create_database(self, name: str) -> str:
        """A fresh, empty database for one site (dropped first if it exists)."""
        if not re.fullmatch(r"[A-Za-z0-9_]{1,64}", name):
            raise ValueError(f"not a safe database name: {name!r}")
        self.query(
            f"DROP DATABASE IF EXISTS `{name}`;"
            f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_520_ci",
            multi=True,
        )
        return name

    def drop_database(self, name: str) -> None:
        if not re.fullmatch(r"[A-Za-z0-9_]{1,64}", name):
            raise ValueError(f"not a safe database name: {name!r}")
        self.query(f"DROP DATABASE IF EXISTS `{name}`")

    def clone_database(self, source: str, target: str) -> None:
        """Replace `target` with a copy of `source` (every table's structure and rows) in one PHP
        run: a fraction of what installing WordPress again costs."""
        for name in (source, target):
            if not re.fullmatch(r"[A-Za-z0-9_]{1,64}", name):
                raise ValueError(f"not a safe database name: {name!r}")
        self._mysqli(
            f"$src = {_php_string(source)}; $dst = {_php_string(target)};"
            '$sql = array("DROP DATABASE IF EXISTS `$dst`",'
            ' "CREATE DATABASE `$dst` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_520_ci");'
            'foreach ($db->query("SHOW TABLES FROM `$src`")->fetch_all() as $row) {'
            " $t = $row[0];"
            ' $sql[] = "CREATE TABLE `$dst`.`$t` LIKE `$src`.`$t`";'
            ' $sql[] = "INSERT INTO `$dst`.`$t` SELECT * FROM `$src`.`$t`"; }'
            'foreach ($sql as $q) { if (!$db->query($q)) { fwrite(STDERR, "$q: $db->error"); exit(1); } }'
        )

    def stop(self) -> None:
        """SIGTERM is mariadbd's clean shutdown; the socket dir goes with it."""
        if self._process is not None:
            _stop_process(self._process, timeout=30)
            self._process = None
        if self._socket_dir is not None:
            shutil.rmtree(self._socket_dir, ignore_errors=True)


@contextlib.contextmanager
def running_mariadb(base_dir: Path) -> Iterator[MariaDB]:
    """A started MariaDB for the duration of the block (one per test session)."""
    server = MariaDB(base_dir)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        # 100+ MB per run, and pytest keeps its last three temp dirs; the log stays.
        shutil.rmtree(server.datadir, ignore_errors=True)


# --------------------------------------------------------------------------------------------
# WordPress core


# Debian's own wp-config.php (a wrapper reading /etc/wordpress) and .htaccess (a link into /etc)
# are replaced or not needed; wp-content is built per site.
_CORE_SKIP = {"wp-config.php", ".htaccess", "wp-content"}


@dataclass
class CoreTemplate:
    """One resolved copy of Debian's WordPress (its symlinks into /usr/share/javascript,
    /usr/share/php and /etc followed), made once per session. Sites hard-link their core files
    to it: WordPress never writes a core file outside a core update, which these sites never
    get (WP_AUTO_UPDATE_CORE false and no offers), and anything it creates (.maintenance,
    wp-content) is a new file of the site's own.

    `wp-includes` is a symlink instead: nothing in it finds the site from its own path (root
    entry points and wp-admin do, via __DIR__, so those are per-site links), and PHP keys
    compiled code by real path, so every site's CLI runs share one OPcache file cache for the
    ~300 files of wp-includes each run loads.

    It also keeps the database of the first site installed from it, as it stood right after
    wp_install(): later sites on the same MariaDB start from a copy of it (then get their own
    URL, title and test options) instead of installing again. The only trace of the first site
    left in a copy is the URL inside the sample post's and page's GUIDs."""

    root: Path
    snapshot: str | None = None
    snapshot_db: MariaDB | None = None

    @classmethod
    def build(cls, directory: Path) -> CoreTemplate:
        """Copy /usr/share/wordpress into `directory`/wordpress (about a second), or reuse it."""
        root = directory / "wordpress"
        if not root.exists():
            tmp = directory / "wordpress.partial"
            shutil.rmtree(tmp, ignore_errors=True)
            shutil.copytree(
                WORDPRESS_SOURCE,
                tmp,
                symlinks=False,
                ignore=lambda d, names: [n for n in names if Path(d) == WORDPRESS_SOURCE and n in _CORE_SKIP],
            )
            tmp.rename(root)
        return cls(root)

    def clone(self, destination: Path) -> None:
        """Hard links where the filesystem allows, copies where it does not."""

        def link_or_copy(src: str, dst: str) -> object:
            try:
                os.link(src, dst)
            except OSError:
                shutil.copy2(src, dst)
            return dst

        destination.mkdir(parents=True)
        for entry in self.root.iterdir():
            if entry.name == "wp-includes":
                (destination / entry.name).symlink_to(entry, target_is_directory=True)
            elif entry.is_dir():
                shutil.copytree(entry, destination / entry.name, copy_function=link_or_copy)
            else:
                link_or_copy(str(entry), str(destination / entry.name))

    @property
    def cli_opcache_dir(self) -> Path:
        """The OPcache file cache every site's PHP CLI runs share (see WordPressSite.php)."""
        return self.root.parent / "opcache-cli"


def file_header(path: Path, name: str) -> str:
    """A plugin/theme file header exactly as WordPress' get_file_data() finds it: in the first
    8 KB, CR line ends as LF, the first `Name:` line after optional `<?php` and comment marks,
    cut at `*/` or `?>`; '' when absent."""
    with path.open("rb") as f:
        text = f.read(8 * 1024).decode("utf-8", errors="replace").replace("\r", "\n")
    match = re.search(
        rf"^(?:[ \t]*<\?php)?[ \t/*#@]*{re.escape(name)}:(.*)$", text, re.MULTILINE | re.IGNORECASE
    )
    if not match or not match.group(1):
        return ""
    return re.sub(r"\s*(?:\*/|\?>).*", "", match.group(1)).strip()


def _backdate(directory: Path, seconds: int = 5) -> None:
    """Give files the harness installs an mtime a few seconds in the past. WordPress' upgrader
    invalidates OPcache only for files newer than the cached copy (in whole seconds): an update
    landing in the same second as the harness' install would otherwise keep the old code
    running in the server. Real sites never update a plugin within a second of installing it."""
    stamp = time.time() - seconds
    for path in [directory, *directory.rglob("*")]:
        os.utime(path, (stamp, stamp), follow_symlinks=False)


def _vcs_parent(path: Path) -> Path | None:
    for parent in [path, *path.parents]:
        for marker in (".git", ".svn", ".hg", ".bzr"):
            if (parent / marker).exists():
                return parent / marker
    return None


# --------------------------------------------------------------------------------------------
# The test mu-plugin

MU_PLUGIN_PHP = r"""<?php
/**
 * Plugin Name: IGNY8 test environment (test sites only)
 * Description: Written by tests/e2e/wordpress.py into throwaway sites. Lets the site download from
 * the local stack on 127.0.0.1, answers wordpress.org like an online site with nothing to update
 * (option igny8_test_wporg = online) or fails it like a firewalled one (offline), and records
 * outgoing mail and HTTP as JSON lines for the tests to read.
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

function igny8_test_record( $constant, array $record ) {
	if ( defined( $constant ) ) {
		$record['time'] = microtime( true );
		file_put_contents( constant( $constant ), wp_json_encode( $record ) . "\n", FILE_APPEND | LOCK_EX );
	}
}

// (a) download_url() refuses loopback hosts and ports other than 80/443/8080 (wp_http_validate_url).
add_filter( 'http_request_host_is_external', '__return_true' );
add_filter(
	'http_allowed_safe_ports',
	function ( $ports ) {
		foreach ( (array) get_option( 'igny8_test_safe_ports', array() ) as $port ) {
			$ports[] = (int) $port; // Compared strictly with an int.
		}
		return array_values( array_unique( $ports ) );
	}
);

// (b) wordpress.org, online or offline. A late priority: the network is the last thing a request
// meets, so plugins' own pre_http_request filters still run first.
function igny8_test_is_wporg( $host ) {
	$host = strtolower( (string) $host );
	return in_array( $host, array( 'wordpress.org', 'w.org' ), true )
		|| '.wordpress.org' === substr( $host, -14 ) || '.w.org' === substr( $host, -6 );
}

function igny8_test_wporg_response( $code, $body ) {
	return array(
		'headers'  => array( 'content-type' => 'application/json; charset=utf-8' ),
		'body'     => is_string( $body ) ? $body : wp_json_encode( $body ),
		'response' => array( 'code' => $code, 'message' => get_status_header_desc( $code ) ),
		'cookies'  => array(),
		'filename' => null,
	);
}

function igny8_test_wporg_online( $host, $path, $query ) {
	global $wp_version;
	if ( 'api.wordpress.org' !== $host ) {
		return igny8_test_wporg_response( 404, '' );
	}
	if ( preg_match( '#^/core/version-check/#', $path ) ) {
		$download = 'https://downloads.wordpress.org/release/wordpress-' . $wp_version . '.zip';
		return igny8_test_wporg_response(
			200,
			array(
				'offers'       => array(
					array(
						'response'        => 'latest',
						'download'        => $download,
						'locale'          => 'en_US',
						'packages'        => array(
							'full'        => $download,
							'no_content'  => '',
							'new_bundled' => '',
							'partial'     => '',
							'rollback'    => '',
						),
						'current'         => $wp_version,
						'version'         => $wp_version,
						'php_version'     => '5.6.20',
						'mysql_version'   => '5.0',
						'new_bundled'     => '6.1',
						'partial_version' => false,
					),
				),
				'translations' => array(),
			)
		);
	}
	if ( preg_match( '#^/plugins/update-check/#', $path ) ) {
		return igny8_test_wporg_response( 200, array( 'plugins' => array(), 'translations' => array(), 'no_update' => array() ) );
	}
	if ( preg_match( '#^/themes/update-check/#', $path ) ) {
		return igny8_test_wporg_response( 200, array( 'themes' => array(), 'translations' => array(), 'no_update' => array() ) );
	}
	if ( preg_match( '#^/translations/#', $path ) ) {
		return igny8_test_wporg_response( 200, array( 'translations' => array() ) );
	}
	if ( preg_match( '#^/(plugins|themes)/info/#', $path, $m ) ) {
		parse_str( (string) $query, $q );
		if ( isset( $q['action'] ) && in_array( $q['action'], array( 'plugin_information', 'theme_information' ), true ) ) {
			return igny8_test_wporg_response( 404, array( 'error' => 'plugins' === $m[1] ? 'Plugin not found.' : 'Theme not found' ) );
		}
		return igny8_test_wporg_response( 200, array( 'info' => array( 'page' => 1, 'pages' => 0, 'results' => 0 ), $m[1] => array() ) );
	}
	if ( preg_match( '#^/core/browse-happy/#', $path ) ) {
		return igny8_test_wporg_response(
			200,
			array(
				'platform'        => 'Linux',
				'name'            => 'Firefox',
				'version'         => '128.0',
				'current_version' => '128',
				'upgrade'         => false,
				'insecure'        => false,
				'update_url'      => 'https://www.mozilla.org/firefox/',
				'img_src'         => '',
				'img_src_ssl'     => '',
				'mobile'          => false,
			)
		);
	}
	if ( preg_match( '#^/core/serve-happy/#', $path ) ) {
		return igny8_test_wporg_response(
			200,
			array(
				'recommended_version' => '7.4',
				'minimum_version'     => '5.6.20',
				'is_supported'        => true,
				'is_secure'           => true,
				'is_acceptable'       => true,
			)
		);
	}
	if ( preg_match( '#^/events/#', $path ) ) {
		return igny8_test_wporg_response( 200, array( 'location' => array(), 'events' => array() ) );
	}
	return igny8_test_wporg_response( 404, array( 'error' => 'Not answered by the IGNY8 test mu-plugin.' ) );
}

add_filter(
	'pre_http_request',
	function ( $pre, $args, $url ) {
		if ( false !== $pre ) {
			return $pre;
		}
		$parts = wp_parse_url( $url );
		$host  = isset( $parts['host'] ) ? strtolower( $parts['host'] ) : '';
		if ( ! igny8_test_is_wporg( $host ) ) {
			return $pre;
		}
		if ( 'offline' === get_option( 'igny8_test_wporg', 'online' ) ) {
			return new WP_Error( 'http_request_failed', sprintf( 'cURL error 6: Could not resolve host: %s (test site offline for wordpress.org)', $host ) );
		}
		return igny8_test_wporg_online( $host, isset( $parts['path'] ) ? $parts['path'] : '/', isset( $parts['query'] ) ? $parts['query'] : '' );
	},
	PHP_INT_MAX - 1,
	3
);

// Outgoing HTTP, one line per request: answered by a filter (pre_http_request) or the network.
add_filter(
	'pre_http_request',
	function ( $pre, $args, $url ) {
		if ( false !== $pre ) {
			igny8_test_record(
				'IGNY8_TEST_HTTP_LOG',
				array(
					'url'    => $url,
					'method' => isset( $args['method'] ) ? $args['method'] : 'GET',
					'via'    => 'filter',
					'status' => is_wp_error( $pre ) ? null : wp_remote_retrieve_response_code( $pre ),
					'error'  => is_wp_error( $pre ) ? $pre->get_error_message() : null,
				)
			);
		}
		return $pre;
	},
	PHP_INT_MAX,
	3
);
add_action(
	'http_api_debug',
	function ( $response, $context, $class, $args, $url ) {
		igny8_test_record(
			'IGNY8_TEST_HTTP_LOG',
			array(
				'url'    => $url,
				'method' => isset( $args['method'] ) ? $args['method'] : 'GET',
				'via'    => 'network',
				'status' => is_wp_error( $response ) ? null : wp_remote_retrieve_response_code( $response ),
				'error'  => is_wp_error( $response ) ? $response->get_error_message() : null,
			)
		);
	},
	10,
	5
);

// (c) Mail: recorded, never sent (there is no MTA; wp_mail would fail and some callers log it).
add_filter(
	'pre_wp_mail',
	function ( $return, $atts ) {
		igny8_test_record( 'IGNY8_TEST_MAIL_LOG', $atts );
		return null === $return ? true : $return;
	},
	PHP_INT_MAX,
	2
);
"""

THEME_STYLE = """/*
Theme Name: IGNY8 test theme
Description: Written by tests/e2e/wordpress.py; Debian's wordpress package ships no theme.
Version: 1.0.0
*/
"""
THEME_INDEX = "<?php\nget_header();\nwhile ( have_posts() ) {\n\tthe_post();\n\tthe_title( '<h1>', '</h1>' );\n}\nget_footer();\n"

# Fixed keys and salts: sites are throwaway, and fixed values make runs reproducible.
_SALT_NAMES = (
    "AUTH_KEY",
    "SECURE_AUTH_KEY",
    "LOGGED_IN_KEY",
    "NONCE_KEY",
    "AUTH_SALT",
    "SECURE_AUTH_SALT",
    "LOGGED_IN_SALT",
    "NONCE_SALT",
)


# --------------------------------------------------------------------------------------------
# Scraping admin pages


@dataclass
class Form:
    """An HTML form as a browser would submit it: attributes and successful controls."""

    attrs: dict[str, str]
    fields: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)

    def value(self, name: str) -> str | None:
        return next((v for n, v, _ in self.fields if n == name), None)


class Scraped(HTMLParser):
    """What `scrape` found in a page: forms (as a browser would submit them), iframe sources, links."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self.iframes: list[str] = []
        self.links: list[tuple[str, dict[str, str]]] = []
        self._form: Form | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._form = Form(a)
            self.forms.append(self._form)
        elif tag in ("input", "button", "select", "textarea") and self._form is not None and a.get("name"):
            self._form.fields.append((a["name"], a.get("value", ""), a))
        elif tag == "iframe" and a.get("src"):
            self.iframes.append(a["src"])
        elif tag == "a" and a.get("href"):
            self.links.append((a["href"], a))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None


def scrape(page: str) -> Scraped:
    """Forms, iframes and links of an HTML page (entities decoded)."""
    scraper = Scraped()
    scraper.feed(page)
    scraper.close()
    return scraper


@dataclass(frozen=True)
class Page:
    """An admin page as a browser saw it, with the iframes it loaded (WordPress runs bulk updates
    and the post-update plugin reactivation in iframes)."""

    url: str
    status: int
    html: str
    frames: tuple[Page, ...] = ()

    @property
    def all_html(self) -> str:
        """This page's HTML followed by every frame's, for assertions on visible text."""
        return "\n".join([self.html, *(frame.all_html for frame in self.frames)])


# --------------------------------------------------------------------------------------------
# The site


@dataclass(frozen=True)
class HttpRecord:
    """One outgoing HTTP request the site made (from the mu-plugin's log)."""

    url: str
    method: str
    via: str  # 'filter' (answered by a pre_http_request filter) or 'network'
    status: int | None
    error: str | None


class WordPressSite:
    """A fresh WordPress site: installed in its own database, served by `php -S` on
    127.0.0.1:port, admin `admin` / `password`.

    Layout under `base_dir` (which must not be inside a VCS checkout: WordPress refuses
    background updates there): `root/` is ABSPATH (core hard-linked from the session's
    `CoreTemplate`, a real writable wp-content), and next to it the logs the tests read:
    `debug.log` (WP_DEBUG_LOG), `mails.jsonl`, `http.jsonl`, `server.log` (php -S)."""

    def __init__(
        self, base_dir: Path, db: MariaDB, database: str, port: int, template: CoreTemplate | None = None
    ) -> None:
        self.base_dir = base_dir
        self.root = base_dir / "root"
        self.db = db
        self.database = database
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.content_dir = self.root / "wp-content"
        self.plugins_dir = self.content_dir / "plugins"
        self.debug_log_path = base_dir / "debug.log"
        self.mail_log_path = base_dir / "mails.jsonl"
        self.http_log_path = base_dir / "http.jsonl"
        self.server_log_path = base_dir / "server.log"
        self._server: subprocess.Popen[bytes] | None = None
        self._opcache_dir = template.cli_opcache_dir if template is not None else base_dir / "opcache-cli"

    # ---- lifecycle ---------------------------------------------------------------------------

    @classmethod
    def create(
        cls,
        db: MariaDB,
        base_dir: Path,
        *,
        template: CoreTemplate | None = None,
        wporg: WporgMode = "online",
        safe_ports: Sequence[int] = (),
        title: str = "IGNY8 test site",
    ) -> WordPressSite:
        """Build, install and serve a site (about a second with a template).

        `wporg` picks how wordpress.org behaves (see `set_wporg`); `safe_ports` are the
        127.0.0.1 ports download_url() may fetch from (the local stack's, a package server's)."""
        vcs = _vcs_parent(base_dir.resolve())
        if vcs is not None:
            raise WordPressHarnessError(
                f"{base_dir} is inside a VCS checkout ({vcs}): WordPress refuses background updates there"
            )
        base_dir.mkdir(parents=True, exist_ok=True)
        template = template or CoreTemplate.build(base_dir)
        database = "wp_" + hashlib.sha1(str(base_dir.resolve()).encode()).hexdigest()[:16]
        site = cls(base_dir, db, database, free_port(), template)
        try:
            site._build(template)
            site._install(template, title, wporg, safe_ports)
            site.start()
        except BaseException:
            site.stop()
            raise
        return site

    def _build(self, template: CoreTemplate) -> None:
        template.clone(self.root)
        for sub in ("plugins", "mu-plugins", "upgrade", "uploads", "languages", f"themes/{TEST_THEME}"):
            (self.content_dir / sub).mkdir(parents=True, exist_ok=True)
        (self.content_dir / "index.php").write_text("<?php\n// Silence is golden.\n")
        (self.plugins_dir / "index.php").write_text("<?php\n// Silence is golden.\n")
        (self.content_dir / "themes" / TEST_THEME / "style.css").write_text(THEME_STYLE)
        (self.content_dir / "themes" / TEST_THEME / "index.php").write_text(THEME_INDEX)
        (self.content_dir / "mu-plugins" / MU_PLUGIN).write_text(MU_PLUGIN_PHP)
        (self.root / "wp-config.php").write_text(self._wp_config())
        (self.root / OPCACHE_RESET).write_text(
            "<?php\n// Test sites only: tests/e2e/wordpress.py calls this after writing PHP files itself.\n"
            "echo function_exists('opcache_reset') && opcache_reset() ? 'reset' : 'no opcache';\n"
        )

    def _wp_config(self) -> str:
        defines: dict[str, str | bool] = {
            "DB_NAME": self.database,
            "DB_USER": "root",
            "DB_PASSWORD": "",
            "DB_HOST": f"localhost:{self.db.socket}",
            "DB_CHARSET": "utf8mb4",
            "DB_COLLATE": "",
            **{name: f"igny8-test-{name.lower()}-fixed-for-reproducible-runs" for name in _SALT_NAMES},
            "WP_HOME": self.url,
            "WP_SITEURL": self.url,
            "FS_METHOD": "direct",  # anything else makes background updates silently do nothing
            "DISABLE_WP_CRON": True,  # tests run cron explicitly: run_cron()
            "WP_DEBUG": True,
            "WP_DEBUG_LOG": str(self.debug_log_path),
            "WP_DEBUG_DISPLAY": False,
            "WP_AUTO_UPDATE_CORE": False,  # core files are hard links shared by every site
            "WP_DEFAULT_THEME": TEST_THEME,
            "IGNY8_TEST_MAIL_LOG": str(self.mail_log_path),
            "IGNY8_TEST_HTTP_LOG": str(self.http_log_path),
        }
        lines = ["<?php", "// Written by tests/e2e/wordpress.py for a throwaway test site."]
        for name, value in defines.items():
            literal = ("true" if value else "false") if isinstance(value, bool) else _php_string(value)
            lines.append(f"define( {_php_string(name)}, {literal} );")
        lines += [
            "$table_prefix = 'wp_';",
            "if ( ! defined( 'ABSPATH' ) ) {",
            "\tdefine( 'ABSPATH', __DIR__ . '/' );",
            "}",
            "require_once ABSPATH . 'wp-settings.php';",
            "",
        ]
        return "\n".join(lines)

    def _install(
        self, template: CoreTemplate, title: str, wporg: WporgMode, safe_ports: Sequence[int]
    ) -> None:
        if template.snapshot is not None and template.snapshot_db is self.db:
            self.db.clone_database(template.snapshot, self.database)
        else:
            self.db.create_database(self.database)
            self.php(
                "require_once ABSPATH . 'wp-admin/includes/upgrade.php';"
                "$r = wp_install($args['title'], $args['user'], $args['email'], true, '', $args['password']);"
                "if (is_wp_error($r)) { fwrite(STDERR, $r->get_error_message()); exit(1); }"
                # Plain permalinks: pretty ones need rewrite rules php -S does not apply.
                "update_option('permalink_structure', '');",
                args={"title": title, "user": ADMIN_USER, "email": ADMIN_EMAIL, "password": ADMIN_PASSWORD},
                installing=True,
                admin_includes=False,
            )
            snapshot = f"{self.database}_snapshot"
            self.db.clone_database(self.database, snapshot)
            template.snapshot, template.snapshot_db = snapshot, self.db
        self.php(
            "update_option('siteurl', $args['url']); update_option('home', $args['url']);"
            "update_option('blogname', $args['title']);"
            "update_option('igny8_test_wporg', $args['wporg']);"
            "update_option('igny8_test_safe_ports', array_map('intval', $args['ports']));",
            args={"url": self.url, "title": title, "wporg": wporg, "ports": list(safe_ports)},
            admin_includes=False,
        )
        # wp_install mailed the new site's owner; tests start with an empty mailbox.
        self.mail_log_path.unlink(missing_ok=True)
        self.http_log_path.unlink(missing_ok=True)

    def start(self) -> None:
        """Serve the site with PHP's built-in server. Several workers: WordPress makes loopback
        requests to itself (site health, cron spawn) that deadlock a single-worker server.
        OPcache stays on, as on real hosts (a page costs 0.05 s instead of 0.23 s): WordPress'
        upgrader invalidates what it writes; what the harness writes, `reset_opcache` drops."""
        php = shutil.which("php")
        if php is None:
            raise WordPressHarnessError("php is not installed (php-cli)")
        env = {**os.environ, "PHP_CLI_SERVER_WORKERS": "4"}
        log = self.server_log_path.open("ab")
        self._server = subprocess.Popen(
            [php, "-S", f"127.0.0.1:{self.port}", "-t", str(self.root)],
            cwd=self.root,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        server = self._server

        def listening() -> bool:
            if server.poll() is not None:
                raise WordPressHarnessError(
                    f"php -S exited:\n{self.server_log_path.read_text(errors='replace')}"
                )
            with socket.socket() as probe:
                return probe.connect_ex(("127.0.0.1", self.port)) == 0

        _wait_for(listening, 20, "php -S", self.server_log_path)

    def reset_opcache(self) -> None:
        """Drop the server's compiled code. OPcache trusts a file for 2 s and then only by mtime
        (seconds), so a file rewritten outside WordPress' upgrader could run stale; the harness
        calls this after installing plugin files, and tests writing PHP files should too."""
        if self._server is None:
            return
        response = requests.get(f"{self.url}/{OPCACHE_RESET}", timeout=30)
        if response.status_code != 200:
            raise WordPressHarnessError(
                f"opcache reset failed ({response.status_code}): {response.text[:500]}"
            )

    def stop(self, *, drop_database: bool = True) -> None:
        """Stop the server (and its workers: they share its process group) and drop the database.
        The files stay for post-mortems in pytest's temp dir."""
        if self._server is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self._server.pid, signal.SIGTERM)
            try:
                self._server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self._server.pid, signal.SIGKILL)
                self._server.wait(timeout=10)
            self._server = None
        if drop_database:
            with contextlib.suppress(WordPressHarnessError):
                self.db.drop_database(self.database)

    def __enter__(self) -> WordPressSite:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---- PHP with WordPress loaded -----------------------------------------------------------

    def php(
        self,
        code: str,
        *,
        args: Mapping[str, Any] | None = None,
        user: int | None = None,
        doing_cron: bool = False,
        installing: bool = False,
        admin_includes: bool = True,
        timeout: float = 120,
    ) -> str:
        """Run a PHP snippet in the CLI with WordPress loaded and return its stdout (use
        `echo wp_json_encode(...)` and json.loads for data). `$args` in the snippet holds `args`
        (passed as base64 JSON: any text is safe). `user` sets the current user (1 is the admin;
        default none, like cron). `doing_cron` defines DOING_CRON first, as wp-cron.php does:
        WordPress updates differently under cron (maintenance mode, no deactivation). Raises with
        stderr, stdout and the debug.log tail if PHP fails."""
        encoded = base64.b64encode(json.dumps(dict(args or {})).encode()).decode()
        prelude = [
            "<?php",
            _STDIO,
            f"$_SERVER['HTTP_HOST'] = '127.0.0.1:{self.port}';",
            "$_SERVER['SERVER_NAME'] = '127.0.0.1';",
            f"$_SERVER['SERVER_PORT'] = '{self.port}';",
            "$_SERVER['REQUEST_URI'] = '/';",
            "$_SERVER['REQUEST_METHOD'] = 'GET';",
            "$_SERVER['REMOTE_ADDR'] = '127.0.0.1';",
            "$_SERVER['SERVER_PROTOCOL'] = 'HTTP/1.1';",
            f"$args = json_decode(base64_decode('{encoded}'), true);",
        ]
        if installing:
            prelude.append("define('WP_INSTALLING', true);")
        if doing_cron:
            prelude.append("define('DOING_CRON', true);")
        prelude.append(f"require_once {_php_string(str(self.root / 'wp-load.php'))};")
        if admin_includes:
            prelude.append("require_once ABSPATH . 'wp-admin/includes/admin.php';")
        if user is not None:
            prelude.append(f"wp_set_current_user({int(user)});")
        script = "\n".join([*prelude, code, ""])
        log_size = self.debug_log_path.stat().st_size if self.debug_log_path.exists() else 0
        result = subprocess.run(
            ["php", *self._cli_opcache()],
            input=script,
            cwd=self.root,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if result.returncode != 0:
            new_log = ""
            if self.debug_log_path.exists():
                with self.debug_log_path.open(errors="replace") as f:
                    f.seek(log_size)
                    new_log = f.read()[-4000:]
            raise WordPressHarnessError(
                f"PHP failed (exit {result.returncode}):\n--- code\n{code}\n--- stderr\n{result.stderr}"
                f"\n--- stdout\n{result.stdout[-4000:]}\n--- debug.log\n{new_log}"
            )
        return result.stdout

    def _cli_opcache(self) -> list[str]:
        """OPcache for the CLI, in a file cache shared through the template: loading WordPress
        drops from ~0.27 s to ~0.09 s a run. Core only: wp-content (plugins, mu-plugins) is
        blacklisted, since OPcache trusts a cached file while its mtime (in whole seconds) is
        unchanged, and tests rewrite plugins faster than that. Core files never change."""
        cache = self._opcache_dir
        blacklist = self.base_dir / "opcache-cli-blacklist.txt"
        if not blacklist.exists():
            cache.mkdir(parents=True, exist_ok=True)
            blacklist.write_text(f"{self.content_dir}/\n")
        return [
            "-d",
            "opcache.enable_cli=1",
            "-d",
            f"opcache.file_cache={cache}",
            "-d",
            "opcache.file_cache_only=1",
            # Unoptimised opcodes: a cold run (each site's first) takes half the time.
            "-d",
            "opcache.optimization_level=0",
            "-d",
            f"opcache.blacklist_filename={blacklist}",
        ]

    def php_json(
        self, expression: str, *, args: Mapping[str, Any] | None = None, user: int | None = None
    ) -> Any:
        """The value of a PHP expression, through JSON (objects become dicts)."""
        return json.loads(self.php(f"echo wp_json_encode({expression});", args=args, user=user))

    def option(self, name: str) -> Any:
        """get_option(name), None when absent (WordPress' false)."""
        return self.php_json("get_option($args['name'], null)", args={"name": name})

    def set_option(self, name: str, value: Any) -> None:
        """update_option(name, value); dicts become PHP arrays."""
        self.php("update_option($args['name'], $args['value']);", args={"name": name, "value": value})

    def delete_option(self, name: str) -> None:
        self.php("delete_option($args['name']);", args={"name": name})

    def set_wporg(self, mode: WporgMode) -> None:
        """'online': the mu-plugin answers api.wordpress.org like an online site with nothing to
        update (so core's checks succeed and `update_plugins_{host}` filters run); 'offline': every
        wordpress.org request is a WP_Error, like a firewalled site (no background updates from
        core's cron then)."""
        self.set_option("igny8_test_wporg", mode)

    def allow_ports(self, *ports: int) -> None:
        """Let download_url() fetch from these 127.0.0.1 ports (on top of 80, 443, 8080)."""
        current = [int(p) for p in self.option("igny8_test_safe_ports") or []]
        self.set_option("igny8_test_safe_ports", sorted({*current, *ports}))

    # ---- plugins ----------------------------------------------------------------------------

    def install_plugin_zip(self, zip_path: Path) -> list[Path]:
        """Unzip a plugin package into wp-content/plugins as an admin uploading it would get it,
        replacing any folder of the same name; returns the top-level folders it created."""
        with zipfile.ZipFile(zip_path) as archive:
            tops = sorted({name.split("/", 1)[0] for name in archive.namelist() if "/" in name})
            for top in tops:
                shutil.rmtree(self.plugins_dir / top, ignore_errors=True)
            archive.extractall(self.plugins_dir)
        for top in tops:
            _backdate(self.plugins_dir / top)
        self.reset_opcache()
        return [self.plugins_dir / top for top in tops]

    def install_plugin_dir(self, src_dir: Path, slug: str | None = None) -> Path:
        """Copy a plugin source folder into wp-content/plugins/<slug> (default: its name)."""
        destination = self.plugins_dir / (slug or src_dir.name)
        shutil.rmtree(destination, ignore_errors=True)
        shutil.copytree(src_dir, destination, ignore=shutil.ignore_patterns("__pycache__", ".git"))
        _backdate(destination)
        self.reset_opcache()
        return destination

    def make_multisite(self) -> None:
        """Turn the site into a (subdirectory) multisite network, as Tools > Network Setup and the
        wp-config.php lines it asks for would; the site becomes the network's main site."""
        domain = f"127.0.0.1:{self.port}"
        self.php(
            "require_once ABSPATH . 'wp-admin/includes/upgrade.php';"
            "global $wpdb; foreach ($wpdb->tables('ms_global') as $t => $p) { $wpdb->$t = $p; }"
            "install_network();"
            "$r = populate_network(1, $args['domain'], 'admin@example.test', 'Test network', '/', false);"
            "if (is_wp_error($r)) { fwrite(STDERR, $r->get_error_message()); exit(1); }",
            args={"domain": domain},
            user=1,
        )
        config = self.root / "wp-config.php"
        multisite = {
            "WP_ALLOW_MULTISITE": "true",
            "MULTISITE": "true",
            "SUBDOMAIN_INSTALL": "false",
            "DOMAIN_CURRENT_SITE": _php_string(domain),
            "PATH_CURRENT_SITE": "'/'",
            "SITE_ID_CURRENT_SITE": "1",
            "BLOG_ID_CURRENT_SITE": "1",
        }
        lines = "".join(f"define( {_php_string(k)}, {v} );\n" for k, v in multisite.items())
        config.write_text(
            config.read_text().replace("$table_prefix = 'wp_';", lines + "$table_prefix = 'wp_';", 1)
        )
        self.reset_opcache()

    def activate(self, plugin_file: str) -> None:
        """activate_plugin() as the admin, so the activation hook runs (not silently)."""
        self.php(
            "$r = activate_plugin($args['file']);"
            "if (is_wp_error($r)) { fwrite(STDERR, $r->get_error_code() . ': ' . $r->get_error_message()); exit(1); }",
            args={"file": plugin_file},
            user=1,
        )

    def deactivate(self, plugin_file: str) -> None:
        self.php("deactivate_plugins($args['file']);", args={"file": plugin_file}, user=1)

    def is_active(self, plugin_file: str) -> bool:
        return bool(self.php_json("is_plugin_active($args['file'])", args={"file": plugin_file}))

    def plugin_data(self, plugin_file: str) -> dict[str, Any]:
        """The plugin's headers read from disk now (get_plugin_data, no markup)."""
        path = str(self.plugins_dir / plugin_file)
        return dict(self.php_json("get_plugin_data($args['path'], false, false)", args={"path": path}))

    def plugin_version_on_disk(self, plugin_file: str) -> str | None:
        """The Version header on disk (None if the file is gone): what an update changed, unlike
        a constant of the code still loaded in memory. Read as get_file_data() reads it (first
        8 KB, same pattern), in Python: tests ask this often and a PHP run costs 0.2 s."""
        path = self.plugins_dir / plugin_file
        if not path.is_file():
            return None
        return file_header(path, "Version")

    def plugin_dir_digest(self, slug: str) -> str:
        """SHA-256 over every file's relative path and bytes under wp-content/plugins/<slug>, to
        assert a refused update left the disk exactly as it was ('' when the folder is absent)."""
        directory = self.plugins_dir / slug
        if not directory.is_dir():
            return ""
        digest = hashlib.sha256()
        for path in sorted(p for p in directory.rglob("*") if p.is_file() or p.is_symlink()):
            digest.update(str(path.relative_to(directory)).encode() + b"\0")
            digest.update(path.read_bytes() if path.is_file() else os.readlink(path).encode())
            digest.update(b"\0")
        return digest.hexdigest()

    def enable_auto_update(self, plugin_file: str) -> None:
        """The plugins screen's "Enable auto-updates" toggle (option auto_update_plugins)."""
        self.php(
            "$v = (array) get_site_option('auto_update_plugins', array());"
            "$v[] = $args['file'];"
            "update_site_option('auto_update_plugins', array_values(array_unique($v)));",
            args={"file": plugin_file},
        )

    def disable_auto_update(self, plugin_file: str) -> None:
        self.php(
            "$v = (array) get_site_option('auto_update_plugins', array());"
            "update_site_option('auto_update_plugins', array_values(array_diff($v, array($args['file']))));",
            args={"file": plugin_file},
        )

    # ---- the update check --------------------------------------------------------------------

    def refresh_updates(self) -> dict[str, Any]:
        """Forget the cached check and run wp_update_plugins() now (what the 12-hour cron or an
        admin page does); returns the fresh `update_plugins` transient as a dict."""
        return dict(
            json.loads(
                self.php(
                    "delete_site_transient('update_plugins'); wp_update_plugins();"
                    "echo wp_json_encode(get_site_transient('update_plugins'));"
                )
            )
            or {}
        )

    def update_offers(self) -> dict[str, Any]:
        """`response` of the update_plugins transient as read now: plugin file -> offer."""
        transient = self.php_json("get_site_transient('update_plugins')") or {}
        return dict(transient.get("response") or {})

    # ---- logs --------------------------------------------------------------------------------

    def debug_log(self) -> str:
        """Everything PHP and WordPress logged (WP_DEBUG_LOG)."""
        return self.debug_log_path.read_text(errors="replace") if self.debug_log_path.exists() else ""

    def php_problems(self, *, ignore: Sequence[re.Pattern[str]] = CORE_NOISE) -> list[str]:
        """PHP errors, warnings, notices and deprecations in debug.log, minus core's own noise
        (CORE_NOISE: core's PHP 8.2 deprecations, its warning about an unreachable wordpress.org;
        pass ignore=() to see everything). Warnings raised inside core files stay: a plugin
        handing core a malformed offer shows up there."""
        return [
            line
            for line in self.debug_log().splitlines()
            if _PHP_PROBLEM.search(line) and not any(p.search(line) for p in ignore)
        ]

    def mails(self) -> list[dict[str, Any]]:
        """Every wp_mail() since setup: to, subject, message, headers, attachments."""
        if not self.mail_log_path.exists():
            return []
        return [json.loads(line) for line in self.mail_log_path.read_text().splitlines() if line.strip()]

    def http_log(self) -> list[HttpRecord]:
        """Every outgoing HTTP request the site made since setup, in order."""
        if not self.http_log_path.exists():
            return []
        records = []
        for line in self.http_log_path.read_text().splitlines():
            if line.strip():
                r = json.loads(line)
                records.append(HttpRecord(r["url"], r["method"], r["via"], r["status"], r["error"]))
        return records

    def server_log(self) -> str:
        return self.server_log_path.read_text(errors="replace") if self.server_log_path.exists() else ""

    # ---- HTTP as a browser -------------------------------------------------------------------

    def login(self, user: str = ADMIN_USER, password: str = ADMIN_PASSWORD) -> requests.Session:
        """A browser session logged in through wp-login.php (test cookie included). Nonces are
        bound to this session's token: scrape them from pages fetched with it."""
        session = requests.Session()
        session.get(f"{self.url}/wp-login.php", timeout=60)  # sets wordpress_test_cookie
        response = session.post(
            f"{self.url}/wp-login.php",
            data={
                "log": user,
                "pwd": password,
                "wp-submit": "Log In",
                "redirect_to": f"{self.url}/wp-admin/",
                "testcookie": "1",
            },
            allow_redirects=False,
            timeout=60,
        )
        if response.status_code != 302 or not any(
            c.name.startswith("wordpress_logged_in_") for c in session.cookies
        ):
            raise WordPressHarnessError(f"login failed ({response.status_code}):\n{response.text[:2000]}")
        return session

    def admin_url(self, path: str) -> str:
        return urljoin(f"{self.url}/wp-admin/", path)

    def admin_get(self, session: requests.Session, path: str, **params: str) -> requests.Response:
        """GET an admin page (path relative to /wp-admin/, e.g. 'plugins.php' or
        'plugin-install.php?tab=plugin-information&plugin=SLUG' for the "View details" modal)."""
        return session.get(self.admin_url(path), params=params or None, timeout=120)

    def browse(self, session: requests.Session, url: str, *, data: Any = None, depth: int = 2) -> Page:
        """GET (or POST `data`) like a browser, loading same-site iframes `depth` levels deep."""
        url = urljoin(f"{self.url}/wp-admin/", url)
        if data is None:
            response = session.get(url, timeout=120)
        else:
            response = session.post(url, data=data, timeout=120)
        frames: list[Page] = []
        if depth > 0:
            for src in scrape(response.text).iframes:
                frame_url = urljoin(response.url, src)
                if urlsplit(frame_url).netloc == urlsplit(self.url).netloc:
                    frames.append(self.browse(session, frame_url, depth=depth - 1))
        return Page(response.url, response.status_code, response.text, tuple(frames))

    def updates_nonce(self, session: requests.Session) -> str:
        """The 'updates' nonce plugins.php hands its JS in `_wpUpdatesSettings`."""
        page = self.admin_get(session, "plugins.php").text
        match = re.search(r"_wpUpdatesSettings\s*=\s*(\{.*?\});", page)
        if not match:
            raise WordPressHarnessError("no _wpUpdatesSettings on plugins.php")
        nonce = json.loads(match.group(1)).get("ajax_nonce")
        if not nonce:
            raise WordPressHarnessError(f"no ajax_nonce in _wpUpdatesSettings: {match.group(1)}")
        return str(nonce)

    def update_ajax(self, session: requests.Session, plugin_file: str, slug: str) -> dict[str, Any]:
        """The "update now" link with JavaScript on: POST admin-ajax.php action=update-plugin with
        the 'updates' nonce from plugins.php. Returns WordPress' JSON ({success, data})."""
        nonce = self.updates_nonce(session)
        response = session.post(
            f"{self.url}/wp-admin/admin-ajax.php",
            data={"action": "update-plugin", "plugin": plugin_file, "slug": slug, "_ajax_nonce": nonce},
            headers={"X-Requested-With": "XMLHttpRequest", "Referer": self.admin_url("plugins.php")},
            timeout=120,
        )
        try:
            answer = response.json()
        except ValueError:
            answer = None
        if not isinstance(answer, dict):  # '-1' or '0' is a failed nonce or capability check
            raise WordPressHarnessError(
                f"admin-ajax.php did not answer a JSON object ({response.status_code}):\n{response.text[:4000]}"
            )
        return answer

    def update_bulk(self, session: requests.Session, plugin_files: Sequence[str]) -> Page:
        """Dashboard → Updates → tick plugins → "Update Plugins": POST the `upgrade-plugins` form
        of update-core.php (its 'upgrade-core' nonce), then load the update.php?action=
        update-selected iframe that does the work. Returns the page with its frames."""
        page = self.admin_get(session, "update-core.php")
        form = next((f for f in scrape(page.text).forms if f.attrs.get("name") == "upgrade-plugins"), None)
        if form is None:
            raise WordPressHarnessError("update-core.php lists no plugin updates (no upgrade-plugins form)")
        offered = {v for n, v, _ in form.fields if n == "checked[]"}
        if not set(plugin_files) <= offered:
            raise WordPressHarnessError(f"update-core.php offers {sorted(offered)}, not {list(plugin_files)}")
        data: list[tuple[str, str]] = [
            (n, v) for n, v, a in form.fields if n != "checked[]" and a.get("type") != "submit"
        ]
        data += [("checked[]", f) for f in plugin_files]
        data.append(("upgrade", "Update Plugins"))
        return self.browse(session, urljoin(page.url, form.attrs.get("action", "")), data=data)

    def update_link(self, session: requests.Session, plugin_file: str, *, reactivate: bool = True) -> Page:
        """The "update now" link with JavaScript off: update.php?action=upgrade-plugin with the
        'upgrade-plugin_<file>' nonce scraped from plugins.php's update row. This path
        deactivates an active plugin for the update and reactivates it (silently: no activation
        hook) from an iframe, which is loaded as a browser would unless `reactivate` is False.
        Returns the page with its frames."""
        page = self.admin_get(session, "plugins.php")
        for href, _attrs in scrape(page.text).links:
            parts = urlsplit(href)
            query = parse_qs(parts.query)
            if (
                parts.path.endswith("/update.php")
                and query.get("action") == ["upgrade-plugin"]
                and query.get("plugin") == [plugin_file]
            ):
                return self.browse(session, urljoin(page.url, href), depth=1 if reactivate else 0)
        raise WordPressHarnessError(f"plugins.php shows no update link for {plugin_file}")

    # ---- cron and background updates ---------------------------------------------------------

    def run_cron(self) -> requests.Response:
        """What a system cron hitting wp-cron.php does: run every due event (no ?doing_wp_cron,
        after clearing a stale lock), synchronously."""
        self.php("delete_transient('doing_cron');", admin_includes=False)
        return requests.get(f"{self.url}/wp-cron.php", timeout=300)

    def make_cron_due(self, hook: str) -> None:
        """Move a scheduled event (e.g. 'wp_version_check', 'wp_update_plugins') to now."""
        self.php(
            "$e = wp_get_scheduled_event($args['hook']);"
            "if (!$e) { fwrite(STDERR, 'not scheduled: ' . $args['hook']); exit(1); }"
            "wp_unschedule_event($e->timestamp, $e->hook, $e->args);"
            "$r = $e->schedule ? wp_schedule_event(time() - 1, $e->schedule, $e->hook, $e->args, true)"
            "  : wp_schedule_single_event(time() - 1, $e->hook, $e->args, true);"
            "if (is_wp_error($r)) { fwrite(STDERR, $r->get_error_message()); exit(1); }",
            args={"hook": hook},
            admin_includes=False,
        )

    def run_background_updates(self, *, via_cron: bool = False) -> None:
        """Background (automatic) updates.

        Default: exactly what the 'wp_maybe_auto_update' action does (WP_Automatic_Updater::run:
        a plugin check, then every offer the site's toggles or `autoupdate: true` allow), under
        DOING_CRON as WP-cron runs it, after clearing the updater's 1-hour lock. This works
        whatever wordpress.org answers.

        via_cron=True: the real trigger instead: make 'wp_version_check' due and request
        wp-cron.php. Core fires wp_maybe_auto_update only after a *successful* wordpress.org
        version check, so this updates nothing on an offline site."""
        if via_cron:
            self.php(
                "delete_option('auto_updater.lock'); delete_site_transient('update_core');",
                admin_includes=False,
            )
            self.make_cron_due("wp_version_check")
            self.run_cron()
            return
        self.php("delete_option('auto_updater.lock'); wp_maybe_auto_update();", doing_cron=True)


# --------------------------------------------------------------------------------------------
# Packages over HTTP


@dataclass
class StaticServer:
    """A directory served on 127.0.0.1 (packages for test update offers), recording each path
    requested so a test can count downloads."""

    directory: Path
    url: str
    port: int
    requests: list[str] = field(default_factory=list)


@contextlib.contextmanager
def serve_directory(directory: Path) -> Iterator[StaticServer]:
    """Serve `directory` over HTTP on a free 127.0.0.1 port for the duration of the block."""
    seen: list[str] = []

    class Handler(SimpleHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(self.path)
            super().do_GET()

        def log_message(self, format: str, *args: Any) -> None:
            pass  # quiet: pytest shows what matters

    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(Handler, directory=str(directory)))
    port = int(server.server_address[1])
    thread = threading.Thread(target=server.serve_forever, name="igny8-static-server", daemon=True)
    thread.start()
    try:
        yield StaticServer(directory, f"http://127.0.0.1:{port}", port, seen)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
