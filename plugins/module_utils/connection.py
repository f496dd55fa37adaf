# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dbaops
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one place that opens a MySQL/MariaDB connection.

* ``ConnectionParams`` holds the shared options of every module and of the
  engine; ``resolve_params`` merges an option file (``[client]`` and
  ``[mysqlha]`` groups, ``~/.my.cnf`` when it exists) under the explicit
  options and checks them.  Option files are read with the client's own rules
  (quotes, backslash escapes, ``#`` comments, ``!include``): the same file
  gives the same password to ``mariadb --defaults-file`` and to us.
* ``connect`` opens the TCP (or unix) socket itself, so that "nobody listens"
  (refused), "no answer" (unreachable) and "accepted but never speaks" (hung)
  stay three different failures: PyMySQL alone reports all of them as 2003.
* ``Session`` runs statements, one round trip per call or many statements in
  one round trip (``run_batch``), counts round trips and keeps the list of
  executed statements.

TLS: ``ssl_mode`` means what it means to the mysql client. ``disabled`` never
negotiates TLS, ``preferred`` uses it when the server offers it, ``required``
insists without checking the certificate, ``verify_ca`` checks the chain
against ``ssl_ca``, ``verify_identity`` also checks the host name.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno as errno_mod
import os
import socket
import ssl
import stat
import time

from ansible_collections.dbaops.mysql_ha.plugins.module_utils.errors import (
    ConfigError,
    ConnectError,
    QueryError,
)

try:
    import pymysql
    from pymysql.constants import CLIENT

    PYMYSQL_IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - exercised only without PyMySQL
    pymysql = None
    CLIENT = None
    PYMYSQL_IMPORT_ERROR = exc

__all__ = [
    "SSL_MODES",
    "ConnectionParams",
    "Session",
    "StatementResult",
    "connect",
    "option_file_entries",
    "read_option_file",
    "resolve_params",
    "classify_mysql_error",
]

SSL_MODES = ("disabled", "preferred", "required", "verify_ca", "verify_identity")
DEFAULT_CONNECT_TIMEOUT = 5.0
# An hour: more is a typo (1e11), not a timeout.
MAX_TIMEOUT = 3600
# Below a millisecond every server would look hung.
MIN_TIMEOUT = 0.001

# Server errors meaning "alive but too busy to serve you".
OVERLOADED_ERRNOS = frozenset([1040, 1041, 1203, 1226, 1135])
# Client errors meaning the connection is gone.
CONNECTION_LOST_ERRNOS = frozenset([0, 2006, 2013, 2014, 2055])
AUTH_ERRNOS = frozenset([1044, 1045, 1130, 1251, 1698, 1862])
# 2026: TLS required but not offered or the TLS layer failed; 3159: the server insists on TLS.
TLS_ERRNOS = frozenset([2026, 3159])


class ConnectionParams:
    """Immutable connection options; ``password`` is never in repr() or str()."""

    __slots__ = (
        "host", "port", "user", "password", "unix_socket", "config_file",
        "connect_timeout", "read_timeout", "ssl_mode", "ssl_ca", "ssl_cert", "ssl_key",
    )

    def __init__(self, host=None, port=None, user=None, password=None, unix_socket=None,
                 config_file=None, connect_timeout=DEFAULT_CONNECT_TIMEOUT, read_timeout=None, ssl_mode=None,
                 ssl_ca=None, ssl_cert=None, ssl_key=None):
        values = dict(host=host, port=port, user=user, password=password, unix_socket=unix_socket,
                      config_file=config_file, connect_timeout=connect_timeout, read_timeout=read_timeout,
                      ssl_mode=ssl_mode, ssl_ca=ssl_ca, ssl_cert=ssl_cert, ssl_key=ssl_key)
        for name, value in values.items():
            object.__setattr__(self, name, value)

    def __setattr__(self, name, value):
        raise AttributeError("ConnectionParams is immutable")

    def replace(self, **changes):
        values = dict((name, getattr(self, name)) for name in self.__slots__)
        values.update(changes)
        return ConnectionParams(**values)

    @property
    def address(self):
        """``host:port`` or the unix socket path: how messages name the target."""
        if self.unix_socket and not self.host:
            return self.unix_socket
        return "%s:%s" % (self.host or "localhost", self.port or 3306)

    def __repr__(self):
        shown = ", ".join("%s=%r" % (n, getattr(self, n)) for n in self.__slots__ if n != "password")
        return "ConnectionParams(%s, password=%s)" % (shown, "'********'" if self.password else "None")

    __str__ = __repr__


DEFAULT_OPTION_FILE = "~/.my.cnf"

_OPTION_FILE_KEYS = {
    "user": "user", "password": "password", "host": "host", "port": "port", "socket": "unix_socket",
    "ssl-ca": "ssl_ca", "ssl-cert": "ssl_cert", "ssl-key": "ssl_key", "ssl-mode": "ssl_mode",
}
# The client reads option files as bytes and tests white space with the latin-1 ctype
# (my_isspace(&my_charset_latin1, ...)): tab, LF, VT, FF, CR, space and 0xA0, which is also
# the last byte of UTF-8 "à" or NO-BREAK SPACE.  Lines are parsed here as latin-1 text (one
# character per byte) for that reason, and values turned back into the bytes they were.
_SPACE = " \t\n\v\f\r\xa0"
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "s": " ", '"': '"', "'": "'", "\\": "\\"}
_MAX_INCLUDE_DEPTH = 10
_MAX_OPTION_FILES = 64             # files one option file may read through !include, all told
_MAX_OPTION_FILE_BYTES = 1024 * 1024


def _strip_end_comment(text):
    """Cut ``text`` at the first ``#`` outside quotes (mysys remove_end_comment)."""
    quote = None
    escape = False
    for index, char in enumerate(text):
        if char in "'\"" and not escape:
            if quote is None:
                quote = char
            elif quote == char:
                quote = None
        if quote is None and char == "#":
            return text[:index]
        escape = quote is not None and char == "\\" and not escape
    return text


def _client_value(raw):
    r"""An option value as the client makes it, from the text after ``=``.

    White space around it goes; one pair of matching quotes around it goes;
    then ``\n \t \r \b \s \" \' \\`` become newline, tab, carriage return,
    backspace, space, quote, apostrophe and backslash, and any other backslash
    stays as it is (``\q`` is two characters, a final ``\`` is kept).
    """
    value = raw.strip(_SPACE)
    if len(value) > 1 and value[0] in "'\"" and value[0] == value[-1]:
        value = value[1:-1]
    out = []
    index = 0
    last = len(value) - 1
    while index <= last:
        char = value[index]
        if char == "\\" and index != last:
            index += 1
            out.append(_ESCAPES.get(value[index], "\\" + value[index]))
        else:
            out.append(char)
        index += 1
    return "".join(out)


def _text(latin1):
    """The bytes a latin-1 parsed piece stands for, as str; bytes that are not UTF-8 survive
    as surrogates (surrogateescape), so that the server gets what the client would send."""
    return latin1.encode("latin-1").decode("utf-8", "surrogateescape")


def _option_key(name):
    """``loose-SSL_CA`` -> ``ssl-ca``: names are case-insensitive, ``_`` and ``-`` are one."""
    key = name.lower().replace("_", "-")
    if key.startswith("loose-"):
        key = key[len("loose-"):]
    return key


def _read_lines(path):
    if path == os.devnull:
        return []  # "no option file", as the client reads it
    try:
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode):
            # A FIFO would block the module forever, /dev/zero would never end.
            raise ConfigError("option file %s is not a regular file (a FIFO, device or directory)" % path)
        if info.st_mode & stat.S_IWOTH:
            raise ConfigError("option file %s is world-writable, and the MySQL client ignores such a file; "
                              "chmod o-w it" % path)
        if info.st_size > _MAX_OPTION_FILE_BYTES:
            raise ConfigError("option file %s is %d bytes; option files are limited to %d"
                              % (path, info.st_size, _MAX_OPTION_FILE_BYTES))
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        try:
            data = os.read(fd, _MAX_OPTION_FILE_BYTES + 1)
        finally:
            os.close(fd)
        if len(data) > _MAX_OPTION_FILE_BYTES:
            raise ConfigError("option file %s is over %d bytes" % (path, _MAX_OPTION_FILE_BYTES))
    except (OSError, ValueError) as exc:  # ValueError: a NUL in the path
        raise ConfigError("cannot read option file %s: %s" % (path, getattr(exc, "strerror", None) or exc))
    # The client's C strings end at a NUL byte; so does each line here.
    return [line.split("\0", 1)[0] for line in data.decode("latin-1").split("\n")]


def option_file_entries(path, depth=0, _files_read=None):
    """(group, name, value) of every option of ``path`` and the files it includes, in order.

    ``group`` is lower case, ``value`` None for an option without ``=``.
    Follows the MySQL/MariaDB client (mysys my_default.c): ``#`` and ``;``
    lines are comments, ``#`` also ends a line outside quotes, ``[group]``
    starts a group, ``!include FILE`` reads a file when it exists,
    ``!includedir DIR`` its ``*.cnf`` files in name order; an included file
    starts outside any group.  Raises ConfigError naming the file and line
    where the client would refuse the file.
    """
    group = None
    files_read = _files_read if _files_read is not None else [0]
    files_read[0] += 1
    if files_read[0] > _MAX_OPTION_FILES:
        raise ConfigError("option file %s: its !include directives read more than %d files (an include bomb?)"
                          % (path, _MAX_OPTION_FILES))
    for number, line in enumerate(_read_lines(path), 1):
        text = line.lstrip(_SPACE)
        if not text or text[0] in "#;":
            continue
        if text[0] == "!":
            if depth >= _MAX_INCLUDE_DEPTH:
                raise ConfigError("option file %s line %d: !include nested more than %d deep"
                                  % (path, number, _MAX_INCLUDE_DEPTH))
            directive = text[1:].lstrip(_SPACE)
            for keyword in ("includedir", "include"):
                rest = directive[len(keyword):]
                if directive.startswith(keyword) and (not rest or rest[0] in _SPACE):
                    target = os.fsdecode(rest.strip(_SPACE).encode("latin-1"))
                    break
            else:
                continue  # an unknown directive: the client skips it too
            if not target:
                raise ConfigError("option file %s line %d: !%s names nothing" % (path, number, keyword))
            if keyword == "include":
                if os.path.exists(target):
                    yield from option_file_entries(target, depth + 1, files_read)
                continue
            try:
                names = sorted(name for name in os.listdir(target)
                               if name.endswith(".cnf") and os.path.isfile(os.path.join(target, name)))
            except OSError as exc:
                raise ConfigError("option file %s line %d: cannot read !includedir %s: %s"
                                  % (path, number, target, exc.strerror or exc))
            for name in names:
                yield from option_file_entries(os.path.join(target, name), depth + 1, files_read)
            continue
        if text[0] == "[":
            end = text.find("]")
            if end < 0:
                raise ConfigError("option file %s line %d: a [group] line without its ]" % (path, number))
            group = _text(text[1:end].rstrip(_SPACE)).lower()
            continue
        if group is None:
            raise ConfigError("option file %s line %d: an option before any [group]" % (path, number))
        name, equals, value = _strip_end_comment(text).partition("=")
        yield group, _text(name.rstrip(_SPACE)), _text(_client_value(value)) if equals else None


def read_option_file(path, groups=("client", "mysqlha")):
    """Connection options from a my.cnf style file, read the way the client reads it.

    Options of the named groups count in file order, the last one winning, as
    the client's options do (not group by group).  Raises ConfigError naming
    the file (and line) when it cannot be read, is world-writable or is
    malformed.
    """
    wanted = set(group.lower() for group in groups)
    found = {}
    for group, name, value in option_file_entries(path):
        key = _OPTION_FILE_KEYS.get(_option_key(name))
        if group in wanted and key and value is not None:
            found[key] = value
    return found


def _is_default_option_file(path):
    """True for no file at all, ``~/.my.cnf``, or ``~/.my.cnf`` as Ansible expands a ``path`` option."""
    if path in (None, "", DEFAULT_OPTION_FILE):
        return True
    return os.path.abspath(os.path.expanduser(path)) == os.path.abspath(os.path.expanduser(DEFAULT_OPTION_FILE))


def _seconds(name, value, default):
    """A timeout option as float seconds: 0 < value <= MAX_TIMEOUT, else ConfigError naming it."""
    if value in (None, ""):
        return default
    try:
        if isinstance(value, bool):
            raise ValueError(value)
        seconds = float(value)
    except (TypeError, ValueError, OverflowError):
        raise ConfigError("%s must be a number of seconds, got %s" % (name, _shown(value)))
    if not MIN_TIMEOUT <= seconds <= MAX_TIMEOUT:  # also refuses NaN
        raise ConfigError("%s must be from %g to %d seconds, got %s" % (name, MIN_TIMEOUT, MAX_TIMEOUT, _shown(value)))
    return seconds


def _shown(value):
    """A bad option value as a message shows it: at most 60 characters of it."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def resolve_params(params):
    """Fill unset options from the option file and validate the result.

    Explicit options win over the option file.  The default file
    ``~/.my.cnf`` (also when named as such) is read only when it exists; any
    other file named explicitly must exist.  ``config_file`` of the result is
    the file read, or None when none was.
    """
    values = dict((name, getattr(params, name)) for name in ConnectionParams.__slots__)
    for key in ("host", "user", "unix_socket", "ssl_ca", "ssl_cert", "ssl_key", "config_file", "ssl_mode"):
        if values.get(key) is not None and not isinstance(values[key], str):
            raise ConfigError("%s must be text, got %s" % (key, type(values[key]).__name__))
        if isinstance(values.get(key), str) and "\0" in values[key]:
            raise ConfigError("%s contains a NUL character" % key)
    path = os.path.expanduser(params.config_file or DEFAULT_OPTION_FILE)
    if _is_default_option_file(params.config_file) and not os.path.exists(path):
        path = None
    if path is not None:
        for key, value in read_option_file(path).items():
            if values.get(key) in (None, ""):
                values[key] = value
    if values["port"] in (None, ""):
        values["port"] = 3306
    port = values["port"]
    if isinstance(port, bool) or (isinstance(port, float) and not port.is_integer()):
        raise ConfigError("port must be a whole number, got %s" % _shown(port))
    try:
        values["port"] = int(port)
    except (TypeError, ValueError, OverflowError):
        raise ConfigError("port must be a number, got %s" % _shown(port))
    if not 0 < values["port"] < 65536:
        raise ConfigError("port %s is out of range" % _shown(values["port"]))
    if not values["host"] and not values["unix_socket"]:
        values["host"] = "localhost"
    try:
        str(values["host"] or "").encode("utf-8")
    except UnicodeEncodeError:
        raise ConfigError("host %r is not UTF-8 text" % (values["host"],))
    mode = values["ssl_mode"]
    if mode in (None, ""):
        mode = "verify_ca" if values["ssl_ca"] else "preferred"
    mode = str(mode).lower().replace("-", "_")
    if mode not in SSL_MODES:
        raise ConfigError("ssl_mode must be one of %s, got %r" % (", ".join(SSL_MODES), values["ssl_mode"]))
    values["ssl_mode"] = mode
    if mode in ("verify_ca", "verify_identity") and not values["ssl_ca"]:
        raise ConfigError("ssl_mode=%s needs ssl_ca (the CA that signed the server certificate)" % mode)
    if mode == "disabled" and (values["ssl_ca"] or values["ssl_cert"] or values["ssl_key"]):
        raise ConfigError("ssl_mode=disabled contradicts ssl_ca/ssl_cert/ssl_key; drop one of them")
    if bool(values["ssl_cert"]) != bool(values["ssl_key"]):
        raise ConfigError("ssl_cert and ssl_key go together; got only %s" % ("ssl_cert" if values["ssl_cert"] else "ssl_key"))
    for key in ("ssl_ca", "ssl_cert", "ssl_key"):
        if values[key]:
            values[key] = os.path.expanduser(values[key])
            if not os.path.isfile(values[key]):
                raise ConfigError("%s file %s does not exist" % (key, values[key]))
    values["connect_timeout"] = _seconds("connect_timeout", values["connect_timeout"], DEFAULT_CONNECT_TIMEOUT)
    values["read_timeout"] = _seconds("read_timeout", values["read_timeout"], values["connect_timeout"])
    values["config_file"] = path
    return ConnectionParams(**values)


def build_ssl_context(params):
    """An SSLContext for the verifying/required modes, None for disabled/preferred."""
    mode = params.ssl_mode
    if mode in ("disabled", "preferred"):
        return None
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    # Self-signed server certificates made by mysql_ssl_rsa_setup fail X509 strict checks.
    context.verify_flags &= ~getattr(ssl, "VERIFY_X509_STRICT", 0)
    try:
        if mode == "required":
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        else:
            context.load_verify_locations(cafile=params.ssl_ca)
            context.verify_mode = ssl.CERT_REQUIRED
            context.check_hostname = mode == "verify_identity"
        if params.ssl_cert:
            context.load_cert_chain(params.ssl_cert, keyfile=params.ssl_key)
    except ssl.SSLError as exc:
        raise ConfigError("cannot load TLS files for %s (ssl_ca=%s ssl_cert=%s): %s"
                          % (params.address, params.ssl_ca, params.ssl_cert, exc.reason or exc))
    return context


def _tls_message(exc):
    """What went wrong in TLS, with the certificate check's own reason when there is one."""
    verify = getattr(exc, "verify_message", None)
    if verify:
        return "TLS certificate verify failed: %s" % verify
    return "TLS handshake failed: %s" % (getattr(exc, "reason", None) or exc)


def classify_mysql_error(exc):
    """Map a PyMySQL exception to (kind, errno, message) without any password."""
    args = getattr(exc, "args", ())
    code = args[0] if args and isinstance(args[0], int) else None
    message = str(args[1]) if len(args) > 1 else str(exc)
    original = getattr(exc, "original_exception", None)
    if isinstance(original, ssl.SSLError) or isinstance(exc, ssl.SSLError):
        return "tls", code, _tls_message(original if isinstance(original, ssl.SSLError) else exc)
    timed_out = isinstance(original, OSError) and getattr(original, "errno", None) == errno_mod.ETIMEDOUT
    if isinstance(original, socket.timeout) or timed_out:
        return "hung", code, "the server accepted TCP but did not answer within the timeout (%s)" % message
    if code in TLS_ERRNOS:
        return "tls", code, message
    if code in OVERLOADED_ERRNOS:
        return "overloaded", code, message
    if code in AUTH_ERRNOS:
        return "auth", code, message
    if code in CONNECTION_LOST_ERRNOS or code == 2003:
        if "timed out" in message:
            return "hung", code, message
        return "lost", code, message
    return "error", code, message


def _open_socket(params):
    """Open the transport; classify failures that happen before MySQL speaks."""
    timeout = params.connect_timeout
    if params.unix_socket and not params.host:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        try:
            sock.connect(params.unix_socket)
        except (FileNotFoundError, ConnectionRefusedError) as exc:
            sock.close()
            raise ConnectError(params.address, "refused", "no server listens on this socket (%s)" % exc.strerror)
        except socket.timeout:
            sock.close()
            raise ConnectError(params.address, "hung", "unix socket connect timed out after %ss" % timeout)
        except OSError as exc:
            sock.close()
            raise ConnectError(params.address, "error", "cannot connect to unix socket: %s" % (exc.strerror or exc))
        return sock
    try:
        sock = socket.create_connection((params.host, params.port), timeout)
    except ConnectionRefusedError:
        raise ConnectError(params.address, "refused", "connection refused: nothing listens on this port", 2003)
    except socket.timeout:
        raise ConnectError(params.address, "unreachable",
                           "no TCP answer within %ss: host down or network cut" % timeout, 2003)
    except socket.gaierror as exc:
        raise ConnectError(params.address, "unreachable", "cannot resolve host: %s" % exc.strerror, 2005)
    except UnicodeError:
        raise ConnectError(params.address, "unreachable", "cannot resolve host: not a valid host name", 2005)
    except OSError as exc:
        return_kind = "unreachable" if exc.errno in (errno_mod.EHOSTUNREACH, errno_mod.ENETUNREACH) else "error"
        raise ConnectError(params.address, return_kind, "cannot connect: %s" % (exc.strerror or exc), 2003)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    return sock


class StatementResult:
    """The outcome of one statement of a batch: rows, or a server error."""

    __slots__ = ("sql", "rows", "errno", "error")

    def __init__(self, sql, rows=None, errno=None, error=None):
        self.sql = sql
        self.rows = rows
        self.errno = errno
        self.error = error

    @property
    def ok(self):
        return self.errno is None


class Session:
    """An open connection to one server.

    ``round_trips`` counts client/server exchanges made through this object
    (not the connection handshake); ``executed`` lists the statements run.
    """

    def __init__(self, params, conn, connect_seconds):
        self.params = params
        self._conn = conn
        self.connect_seconds = connect_seconds
        self.round_trips = 0
        self.executed = []

    @property
    def address(self):
        return self.params.address

    @property
    def server_version(self):
        """The version string from the handshake, e.g. ``5.5.5-10.11.6-MariaDB-log``."""
        return self._conn.get_server_info()

    @property
    def tls(self):
        """``{"version": ..., "cipher": ...}`` when the connection is encrypted, else None."""
        sock = getattr(self._conn, "_sock", None)
        if isinstance(sock, ssl.SSLSocket):
            cipher = sock.cipher()
            return {"version": sock.version(), "cipher": cipher[0] if cipher else None}
        return None

    def fileno(self):
        """The connection's socket descriptor (-1 once closed): a daemon watches an idle
        connection with select(); readable while idle means the server closed it or is
        shutting down (its kernel sends FIN the moment mysqld dies)."""
        sock = getattr(self._conn, "_sock", None)
        try:
            return sock.fileno() if sock is not None else -1
        except (OSError, ValueError):
            return -1

    def _raise_connection_error(self, exc, sql):
        kind, code, message = classify_mysql_error(exc)
        if kind in ("lost", "hung"):
            raise ConnectError(self.address, kind, "%s (while running: %s)" % (message, " ".join(sql.split()[:4])), code)
        raise QueryError(self.address, sql, code, message)

    def query(self, sql, args=None):
        """Run one statement with bound parameters; return rows as dicts."""
        self.round_trips += 1
        self.executed.append(sql)
        try:
            with self._conn.cursor(pymysql.cursors.DictCursor) as cursor:
                cursor.execute(sql, args)
                return list(cursor.fetchall())
        except pymysql.err.MySQLError as exc:
            self._raise_connection_error(exc, sql)

    def execute(self, sql, args=None):
        """Run one statement that returns no rows; returns the affected row count."""
        self.round_trips += 1
        self.executed.append(sql)
        try:
            with self._conn.cursor() as cursor:
                return cursor.execute(sql, args)
        except pymysql.err.MySQLError as exc:
            self._raise_connection_error(exc, sql)

    def run_batch(self, statements):
        """Run several statements, sending them in as few round trips as possible.

        With a multi-statement connection all statements go in one round trip;
        when statement k fails the server skips the rest, so the remainder is
        sent again.  Returns one StatementResult per statement, in order.  A
        lost connection raises ConnectError.  Statements must be constants:
        nothing here binds parameters.
        """
        results = []
        pending = list(statements)
        multi = bool(self._conn.client_flag & CLIENT.MULTI_STATEMENTS)
        while pending:
            chunk = pending if multi else pending[:1]
            self.round_trips += 1
            self.executed.extend(chunk)
            index = 0
            try:
                with self._conn.cursor(pymysql.cursors.DictCursor) as cursor:
                    cursor.execute(";\n".join(chunk))
                    results.append(StatementResult(chunk[0], rows=list(cursor.fetchall())))
                    for index in range(1, len(chunk)):
                        cursor.nextset()
                        results.append(StatementResult(chunk[index], rows=list(cursor.fetchall())))
                    index = len(chunk)
            except pymysql.err.MySQLError as exc:
                kind, code, message = classify_mysql_error(exc)
                if kind in ("lost", "hung"):
                    raise ConnectError(self.address, kind, message, code)
                results.append(StatementResult(chunk[index], errno=code, error=message))
                index += 1
            pending = pending[index:] if multi else pending[1:]
        return results

    def close(self):
        try:
            self._conn.close()
        except Exception:  # closing a dead connection is not an error worth reporting
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()


def _utf8(text):
    """Bytes for the wire: UTF-8, and an option file's non-UTF-8 bytes as they were."""
    if not text:
        return b""
    return text if isinstance(text, bytes) else str(text).encode("utf-8", "surrogateescape")


def connect(params, multi_statements=False):
    """Open a Session; raise ConnectError (with ``kind``) or ConfigError.

    ``params`` should come from resolve_params().  ``connect_timeout`` bounds
    the TCP connect, ``read_timeout`` the handshake and every read.
    """
    if pymysql is None:
        raise ConfigError("the PyMySQL library is required: pip install PyMySQL (%s)" % PYMYSQL_IMPORT_ERROR)
    context = build_ssl_context(params)
    started = time.monotonic()
    sock = _open_socket(params)
    flags = CLIENT.MULTI_STATEMENTS if multi_statements else 0
    # PyMySQL encodes a str password as latin-1: 'pässwörd' would not match what the server
    # hashed, and '€' would not encode at all.  Clients send UTF-8; so do we.
    options = dict(
        host=params.host or "localhost", port=params.port or 3306, user=_utf8(params.user),
        password=_utf8(params.password), connect_timeout=params.connect_timeout,
        read_timeout=params.read_timeout, write_timeout=params.read_timeout,
        charset="utf8mb4", autocommit=None, client_flag=flags, defer_connect=True,
    )
    if params.ssl_mode == "disabled":
        options["ssl_disabled"] = True
    elif context is not None:
        options["ssl"] = context
    conn = pymysql.connections.Connection(**options)
    try:
        conn.connect(sock)
    except pymysql.err.MySQLError as exc:
        kind, code, message = classify_mysql_error(exc)
        if kind == "hung":
            message = ("accepted TCP but sent no MySQL handshake or login answer within %ss "
                       "(frozen process, stalled disk or hung kernel thread?)" % params.read_timeout)
        elif kind == "auth" and code == 1045 and params.ssl_mode in ("disabled", "preferred"):
            # MariaDB answers 1045 (not MySQL's 3159) to a plain login when require_secure_transport=ON.
            message += "; if the server sets require_secure_transport, connect with ssl_mode=required or stricter"
        raise ConnectError(params.address, kind, message, code)
    except ssl.SSLError as exc:
        raise ConnectError(params.address, "tls", _tls_message(exc))
    except (socket.timeout, OSError) as exc:
        raise ConnectError(params.address, "hung", "no MySQL handshake within %ss (%s)" % (params.read_timeout, exc))
    return Session(params, conn, time.monotonic() - started)
