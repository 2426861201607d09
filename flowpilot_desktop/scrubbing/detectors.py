"""Where the credential-shaped strings in a text are, and what kind each one is.

Two sources of shapes:

* detect-secrets' plugins, used as a library on strings (no file scanning, no verification):
  Yelp keeps the vendor token shapes (AWS, GitHub, GitLab, Slack, Stripe, SendGrid, Twilio,
  npm, PyPI, Discord, Telegram, JWT, URL basic auth …) current, which a hand-kept list here
  would not be. Only their compiled ``denylist`` regexes are used, through ``finditer``, because
  the scrubber needs positions and the plugins' own API only yields matched strings. The
  package is imported on first use: it pulls in ``requests`` (~90 ms) and importing
  ``flowpilot_desktop.scrubbing`` must stay cheap.
* our own patterns for what the library has no notion of: MSP and Windows shapes
  (connection strings, ``net use``/``cmdkey``/``schtasks``/``psexec`` arguments, PowerShell
  ``-Password`` and ``ConvertTo-SecureString``, unattend/registry autologon, Wi-Fi keys),
  key=value pairs, private-key blocks and newer vendor formats (Anthropic, OpenAI project
  keys, fine-grained GitHub tokens, Google API keys, Azure AD client secrets).

Deliberately not used: the high-entropy-string plugins (they would mask GUIDs, SIDs and file
hashes, which technicians paste all day), ``ip_public`` (addresses are not secrets),
``keyword`` (line-oriented heuristics without positions; our key=value rule replaces it),
``artifactory`` (its ``AP…`` pattern matches ordinary words such as "APCUPSD1500") and the IBM
Cloud/Cloudant/SoftLayer assignment regexes (a bare space counts as an assignment there, and
those vendors are not in an MSP's stack).

False positives are costly (the technician has to override the mask), so a value that is a
variable, a template or an already-masked value is never a credential: scripts must stay
readable after masking.
"""

from __future__ import annotations

import bisect
import logging
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

log = logging.getLogger(__name__)

KINDS: tuple[str, ...] = (
    "password",
    "private-key",
    "aws-key",
    "azure-key",
    "gcp-key",
    "api-key",
    "token",
    "jwt",
    "secret",
    "wifi-key",
)

#: A placeholder the scrubber writes, e.g. "[password #1]". Never detected again.
PLACEHOLDER_RE: re.Pattern[str] = re.compile(
    r"\[(?P<kind>" + "|".join(re.escape(kind) for kind in KINDS) + r") #(?P<number>[1-9]\d{0,8})\]"
)


@dataclass(frozen=True)
class Finding:
    """One credential: the span of the secret value only, and its kind."""

    start: int
    end: int
    kind: str


# --- value filters --------------------------------------------------------------------------

_MASKED_VALUE = re.compile(r"[*•●·#?._\-]+|[xX]{3,}")
_VARIABLE = re.compile(
    r"""
    \$(?:env:|script:|global:|local:|using:)?[A-Za-z_][\w]*(?:\.[A-Za-z_]\w*)*(?:\(\))?
    | \$\{[^}]*\} | \$\(.*\) | \$\w+\[.*\]       # ${x}, $(expr), $args[0]
    | %[A-Za-z_][\w()-]*% | ![A-Za-z_]\w*!       # cmd %VAR% and !VAR!
    | <[^<>]*> | \{\{.*\}\} | \[\[.*\]\]         # <password>, {{password}}
    | \[[A-Za-z][A-Za-z _-]*\]                   # [REDACTED], [your password]
    | @[A-Za-z_]\w* | :[A-Za-z_]\w*              # SQL parameters
    | \{[a-z0-9_.]*\}                            # {password}, {0}
    """,
    re.VERBOSE,
)
_TEMPLATE_WORD = re.compile(
    r"(?:your|my|the|some|new|old|example|sample|dummy|fake|strong)?[ _-]?"
    r"(?:password|passwd|pwd|pass|secret|token|api[ _-]?key|key|value|passphrase)"
    r"(?:[ _-]?here)?",
    re.IGNORECASE,
)
_CODE_EXPRESSION = re.compile(
    r"(?:[a-z_][\w.]*|[A-Z]\w*\.[\w.]*)(?:\([^()]*\)?|\[[^\[\]]*\]?)[),;]*"  # getpass()
    r"|[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+"  # settings.DB_PASSWORD
    r"|(?:Get|Set|New|Remove|Read|ConvertTo|ConvertFrom|Import|Export|Invoke|Start|Add|Test"
    r"|Select|Join|Out|Format|Resolve|Find|Search|Protect|Unprotect)-[A-Z][A-Za-z]+"  # cmdlets
)
_PATH = re.compile(
    r"(?:[A-Za-z]:\\|\\\\|~/|\./|\.\\|/(?:etc|home|usr|var|opt|root|tmp|srv|mnt|run|Users)(?:/|$))\S*"
    r"|[\w.\\/:~-]+\.(?:pem|key|ppk|pfx|p12|crt|cer|json|txt)"
)
_STOP_WORD = re.compile(  # what configs, logs and forms say instead of a value
    r"null|none|nil|undefined|true|false|yes|no|n/a|na|redacted|hidden|masked|removed|omitted"
    r"|required|optional|unknown|unchanged|notset|empty|blank|default|clear|expired|reset"
    r"|changed|set|never|locked|disabled|enabled|incorrect|invalid|wrong|same|sent|see|prompt"
    r"|ask|secure|encrypted|hashed|protected|provided|supplied|given|specified|bearer|basic|token",
    re.IGNORECASE,
)
_FORMAT_FIELD = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)+|\d+")
_LOWER_WORD = re.compile(r"[A-Za-z][a-z]*")
_PROSE_AFTER = re.compile(r"[ \t]+[\w(]")


def _is_variable_or_template(value: str) -> bool:
    """A variable, a template, an already-masked value or an empty one: not a credential."""
    stripped = value.strip()
    # `password)` closing a call, `null,` in JSON
    return any(_is_template(v) for v in {stripped, stripped.rstrip(",;)]}")})


def _is_template(value: str) -> bool:
    return (
        not value
        or _MASKED_VALUE.fullmatch(value) is not None
        or _VARIABLE.fullmatch(value) is not None
        or _TEMPLATE_WORD.fullmatch(value) is not None
        or _STOP_WORD.fullmatch(value) is not None
        or PLACEHOLDER_RE.fullmatch(value) is not None
    )


def _plausible(value: str, kind: str, how: str, text: str, end: int, *, prose_guard: bool) -> bool:
    """Whether a captured value is a credential rather than a variable, a template or prose."""
    if how == "raw":
        return True
    if _is_variable_or_template(value):
        return False
    minimum = 3 if kind in ("password", "secret") else 5 if kind == "wifi-key" else 8
    if len(value) < minimum:
        return False
    if how == "braced":  # ODBC {p;ss}, but {db_password} or {0} is a format field
        return _FORMAT_FIELD.fullmatch(value) is None
    if kind not in ("password", "wifi-key") and (
        _PATH.fullmatch(value) or not any(ch.isalpha() for ch in value)
    ):
        return False
    if how == "unquoted":
        if value[0] in "([{<" or _CODE_EXPRESSION.fullmatch(value):
            return False
        if prose_guard and _LOWER_WORD.fullmatch(value) and _PROSE_AFTER.match(text, end):
            return False  # "password: must be at least 12 characters"
    return True


def _looks_like_password(value: str) -> bool:
    """Prose such as "the password is X": X must look made up, not like an English word."""
    if value.isdigit():
        return False
    return (
        any(ch.isdigit() for ch in value)
        or any(not ch.isalnum() for ch in value)
        or any(ch.isupper() for ch in value[1:])
    )


def _mixed_case_and_digit(value: str) -> bool:
    """An OpenAI-style key, not a host name such as sk-prod-web-server-01-eastus."""
    tail = value.split("-")[-1] if value.count("-") < 3 else value
    return (
        any(ch.isupper() for ch in tail)
        and any(ch.islower() for ch in tail)
        and any(ch.isdigit() for ch in tail)
    )


def _has_digit(value: str) -> bool:
    """A bearer token, not the word after "bearer" in a sentence."""
    return any(ch.isdigit() for ch in value)


# --- key classification (key=value, XML elements, parameters) ----------------------------------

_NOT_SECRET_KEYS = frozenset(
    {
        "nopassword",
        "askpassword",
        "promptpassword",
        "nexttoken",
        "pagetoken",
        "nextpagetoken",
        "continuationtoken",
        "cancellationtoken",
        "synctoken",
        "resumetoken",
        "maxtoken",
    }
)
_SECRET_KEY_SUFFIXES = (
    "apikey",
    "accesskey",
    "secretkey",
    "privatekey",
    "accountkey",
    "sharedaccesskey",
    "subscriptionkey",
    "masterkey",
    "authkey",
    "encryptionkey",
    "signingkey",
    "clientkey",
    "functionkey",
    "functionskey",
    "storagekey",
    "integrationkey",
    "webhookkey",
)
_SEPARATED_PASS = re.compile(r"[_.-](?:pass|PASS|Pass|pw|PW|Pw)$|[a-z](?:Pass|Pw)$")


def _key_kind(key: str, separator: str = "=") -> str | None:
    """The kind of the value assigned to ``key`` (a config key, parameter or XML tag), if any."""
    norm = re.sub(r"[^a-z0-9]", "", key.lower())
    if not norm or norm in _NOT_SECRET_KEYS:
        return None
    if norm.endswith(("password", "passwd", "passphrase", "pwd")):
        return "password"
    if _SEPARATED_PASS.search(key.lstrip("$@-/")) or norm == "pw":
        return "password"
    if norm == "pass" and separator == "=":  # "pass: 5" is a test result, "pass=" a setting
        return "password"
    if norm.endswith(("psk", "keymaterial")):
        return "wifi-key"
    if norm == "sig":
        return "azure-key"
    if norm.endswith("secret"):
        return "azure-key" if "azure" in norm else "aws-key" if "aws" in norm else "secret"
    if norm.endswith("token"):
        return "aws-key" if "aws" in norm else "token"
    if norm.endswith(_SECRET_KEY_SUFFIXES) or norm in ("skey", "secretaccesskey"):
        if "aws" in norm or norm.endswith("secretaccesskey"):
            return "aws-key"
        if "azure" in norm or norm.endswith(("accountkey", "sharedaccesskey", "storagekey")):
            return "azure-key"
        if "gcp" in norm or "google" in norm:
            return "gcp-key"
        if norm.endswith("privatekey"):
            return "private-key"
        return "api-key"
    return None


# --- rules -------------------------------------------------------------------------------------

_VALUE_GROUPS = ("dq", "dq2", "sq", "bv", "v")
_HOW = {"dq": "quoted", "dq2": "quoted", "sq": "quoted", "bv": "braced", "v": "unquoted"}


def _value(
    unquoted: str = r"[^\s;'\"&,]+(?:[&,](?![\w.-]+=)[^\s;'\"&,]*)*",  # stops at "&next=", ",next="
    *,
    brace: bool = False,
    sql_n: bool = False,
    single: bool = True,
) -> str:
    """A value: "double" (with or without backslash escapes), 'single', {odbc} or bare."""
    parts = [r'"(?P<dq>(?:[^"\\\r\n]|\\.)*)"', r'"(?P<dq2>[^"\r\n]*)"']
    if single:
        parts.append(("[Nn]?" if sql_n else "") + r"'(?P<sq>(?:[^'\r\n]|'')*)'")
    if brace:
        parts.append(r"\{(?P<bv>[^{}\r\n]+)\}")
    parts.append(f"(?P<v>{unquoted})")
    return "(?:" + "|".join(parts) + ")"


@dataclass(frozen=True)
class _Rule:
    """One pattern; ``kind`` None means: classify the ``key`` group (or the key before ``kw``)."""

    pattern: re.Pattern[str]
    kind: str | None
    priority: int = 2  # 0 structural, 1 vendor shape, 2 context (on equal spans, lower wins)
    literals: tuple[str, ...] = ()  # lower-case; the rule runs only if one occurs in the text
    prose_guard: bool = False
    check: Callable[[str], bool] | None = None
    whole: bool = False  # mask the whole match, no value group


@dataclass(frozen=True)
class _LineRule:
    """Values found only on the rest of a line that starts with a command (``trigger``)."""

    trigger: re.Pattern[str]
    values: tuple[re.Pattern[str], ...]
    kind: str
    literals: tuple[str, ...]
    prose_guard: bool = False


_I = re.IGNORECASE
_UNQUOTED_ARG = r"[^\s\"'/][^\s\"']*"  # a command-line argument that is not a /switch
_UNQUOTED_PARAM = r"[^\s\"'(;|,$-][^\s;|\"']*"  # a parameter value that is not $var or -Next

_KV = re.compile(
    r"(?P<kw>password|passwd|passphrase|pass|pwd|pw|secret|token|key|sig|psk)"
    r"(?P<kq>[\"']?)[ \t]*(?P<sep>:=|=>|=|:)[ \t]*" + _value(brace=True, sql_n=True),
    _I,
)


@cache
def _rules() -> tuple[_Rule, ...]:
    return (
        # Newer vendor shapes the library lacks.
        _Rule(
            re.compile(r"(?<![\w-])sk-ant-[A-Za-z0-9_-]{20,}"),
            "api-key",
            1,
            ("sk-ant-",),
            whole=True,
        ),
        _Rule(
            re.compile(r"(?<![\w-])sk-(?:proj-|svcacct-|admin-|None-)?[A-Za-z0-9_-]{20,}"),
            "api-key",
            1,
            ("sk-",),
            check=_mixed_case_and_digit,
            whole=True,
        ),
        _Rule(
            re.compile(r"(?<!\w)github_pat_[A-Za-z0-9_]{22,}"),
            "api-key",
            1,
            ("github_pat_",),
            whole=True,
        ),
        _Rule(
            re.compile(r"(?<!\w)gh[pousr]_[A-Za-z0-9]{30,}(?!\w)"),
            "api-key",
            1,
            ("gh",),
            whole=True,
        ),
        _Rule(
            re.compile(r"(?<![\w-])(?:sk|rk)_(?:live|test)_[0-9A-Za-z]{10,}"),
            "api-key",
            1,
            ("k_live_", "k_test_"),
            whole=True,
        ),
        _Rule(re.compile(r"(?<!\w)npm_[A-Za-z0-9]{36}(?!\w)"), "api-key", 1, ("npm_",), whole=True),
        _Rule(
            re.compile(r"(?<![\w-])AIza[0-9A-Za-z_-]{35}(?![\w-])"),
            "gcp-key",
            1,
            ("aiza",),
            whole=True,
        ),
        _Rule(
            re.compile(r"(?<![\w-])GOCSPX-[A-Za-z0-9_-]{28}(?![\w-])"),
            "gcp-key",
            1,
            ("gocspx-",),
            whole=True,
        ),
        _Rule(  # Azure AD (Entra) client secret: three characters, a digit, "Q~", 31–34 more
            re.compile(r"(?<![\w~.-])[A-Za-z0-9_~.-]{3}\dQ~[A-Za-z0-9_~.-]{31,34}(?![\w~.-])"),
            "azure-key",
            1,
            ("q~",),
            whole=True,
        ),
        _Rule(  # BitLocker recovery password: eight groups of six digits
            re.compile(r"(?<![\d-])\d{6}(?:-\d{6}){7}(?![\d-])"),
            "password",
            1,
            ("-",),
            whole=True,
        ),
        # HTTP authorization.
        _Rule(
            re.compile(
                r"\b(?:proxy-)?authorization[\"']?[ \t]*[:=][ \t]*[\"']?"
                r"(?:(?:bearer|basic|token|apikey|sso-key|negotiate|ntlm)[ \t]+"
                r"|(?!(?:bearer|basic|token|negotiate|ntlm|digest)\b))"
                r"(?P<v>[A-Za-z0-9\-._~+/]+=*)",
                _I,
            ),
            "token",
            literals=("authorization",),
        ),
        _Rule(
            re.compile(r"\b[Bb]earer[ \t]+(?P<v>[A-Za-z0-9\-._~+/]{16,}=*)"),
            "token",
            literals=("bearer",),
            check=_has_digit,
        ),
        # URIs with user:password@host (Mongo, Postgres, MySQL, Redis, AMQP, FTP, SMB, HTTP …).
        _Rule(
            re.compile(
                r"\b[a-z][a-z0-9+.-]{0,30}://[^\s:/@\"'<>]*:(?P<v>[^\s/\"'<>]+)@(?=[^\s@/\"'<>]+)",
                _I,
            ),
            "password",
            literals=("://",),
        ),
        # Key=value pairs (connection strings, configs, JSON, env, INI, PowerShell hashtables).
        _Rule(
            _KV,
            None,
            literals=("pass", "pwd", "pw", "secret", "token", "key", "sig", "psk"),
            prose_guard=True,
        ),
        _Rule(  # web.config <add key="SmtpPassword" value="…" />
            re.compile(
                r"\bkey[ \t]*=[ \t]*[\"'](?P<key>[^\"'\r\n]{1,60})[\"'][ \t]+value[ \t]*=[ \t]*"
                + _value(),
                _I,
            ),
            None,
            literals=("value",),
        ),
        _Rule(  # XML elements: <Password><Value>…</Value>, <keyMaterial>…, <ClientSecret>…
            re.compile(
                r"<(?P<key>[\w:.-]{0,40}?(?:password|passwd|pwd|secret|token|key|keymaterial|psk"
                r"|passphrase))>[ \t\r\n]*(?:<value>[ \t]*)?(?P<v>[^<\s][^<]*?)[ \t\r\n]*</",
                _I,
            ),
            None,
            literals=("pass", "pwd", "secret", "token", "key", "psk"),
        ),
        # Parameters: -Password x, -AccountPassword 'x', --password=x, -pw x, -Token x,
        # -ClientSecret x
        _Rule(
            re.compile(
                r"(?<![\w-])--?(?P<key>[A-Za-z][\w-]{0,40})(?::|=|[ \t]+)" + _value(_UNQUOTED_PARAM)
            ),
            None,
            literals=("pass", "pw", "secret", "token", "key"),
            prose_guard=True,
        ),
        # Switches: /pass:x (cmdkey), /password:x (wmic, netdom), /pwd:x
        _Rule(
            re.compile(
                r"(?<![\w/:.])/(?P<key>pass|password|passwd|pwd|passwordd|passwordo)[:=]"
                + _value(r"[^\s\"']+"),
                _I,
            ),
            "password",
            literals=("/pass", "/pwd"),
        ),
        # net user <name> <password> [/add]   (not "*", which prompts)
        _Rule(
            re.compile(
                r"\bnet(?:\.exe)?[ \t]+user[ \t]+(?:\"[^\"\r\n]*\"|[^\s\"/]\S*)[ \t]+"
                + _value(_UNQUOTED_ARG, single=False),
                _I,
            ),
            "password",
            literals=("net",),
            prose_guard=True,
        ),
        # PowerShell: ConvertTo-SecureString 'x' -AsPlainText -Force (also -String "x", piped 'x' |)
        _Rule(
            re.compile(
                r"\bConvertTo-SecureString\b(?:[ \t]+-(?:AsPlainText|Force)\b(?::\$true)?)*"
                r"[ \t]+(?:-String[ \t]+)?" + _value(r"[^\s'\"$(-][^\s);]*"),
                _I,
            ),
            "password",
            literals=("convertto-securestring",),
        ),
        _Rule(
            re.compile(
                r"(?:\"(?P<dq>[^\"\r\n]*)\"|'(?P<sq>(?:[^'\r\n]|'')*)')[ \t]*\|[ \t]*"
                r"ConvertTo-SecureString\b[^\r\n|]*-AsPlainText",
                _I,
            ),
            "password",
            literals=("convertto-securestring",),
        ),
        # Registry autologon: reg query output, Set-ItemProperty -Name DefaultPassword -Value x
        _Rule(
            re.compile(
                r"^[ \t]*(?P<key>\w*(?:password|passwd|pwd))[ \t]+REG_(?:EXPAND_)?SZ[ \t]+"
                r"(?P<v>[^\r\n]*?)[ \t]*(?=\r?$)",
                _I | re.MULTILINE,
            ),
            None,
            literals=("reg_",),
        ),
        _Rule(
            re.compile(
                r"-Name[ \t]+[\"']?(?P<key>\w*(?:password|passwd|pwd))[\"']?"
                r"(?:[ \t]+-(?:Type|PropertyType)[ \t]+\S+)?[ \t]+(?:-Value[ \t]+)?"
                + _value(_UNQUOTED_PARAM),
                _I,
            ),
            None,
            literals=("-name",),
        ),
        # Credentials passed in code: NetworkCredential("user", "pass"), auth=("user", "pass")
        _Rule(
            re.compile(
                r"(?:NetworkCredential|HTTPBasicAuth|HTTPDigestAuth|\bauth[ \t]*=[ \t]*)[ \t]*\("
                r"[ \t]*(?:\"[^\"\r\n]*\"|'[^'\r\n]*')[ \t]*,[ \t]*"
                + _value(r"(?!)"),  # quoted literals only: a bare name is a variable
            ),
            "password",
            literals=("credential", "auth"),
        ),
        # Network gear: enable secret / username x secret 9 … / pre-shared-key / FortiOS set passwd
        _Rule(
            re.compile(
                r"^[ \t]*(?:enable[ \t]+(?:secret|password)|username[ \t]+\S+(?:[ \t]+privilege"
                r"[ \t]+\d+)?[ \t]+(?:secret|password)|set[ \t]+(?:passwd|psksecret)(?:[ \t]+ENC)?"
                r"|set[ \t]+password[ \t]+ENC|crypto[ \t]+isakmp[ \t]+key"
                r"|pre-shared-key(?:[ \t]+ascii)?)"
                r"(?:[ \t]+[0-9])?[ \t]+" + _value(r"[^\s\"']+"),
                _I | re.MULTILINE,
            ),
            "password",
            literals=("secret", "password", "passwd", "key"),
            prose_guard=True,
        ),
        # SQL: IDENTIFIED BY 'x'
        _Rule(
            re.compile(r"\bIDENTIFIED[ \t]+BY[ \t]+" + _value(r"[^\s;'\"]+"), _I),
            "password",
            literals=("identified",),
        ),
        # Prose: "the local admin password is Summer2024!"
        _Rule(
            re.compile(
                r"\b(?:password|passwd|passcode|passphrase|pwd|pw)[ \t]+"
                r"(?:(?:is|was|has[ \t]+been)(?:[ \t]+(?:now|(?:set|changed|reset)[ \t]+to))?"
                r"|(?:now|(?:set|changed|reset)[ \t]+to))"
                r"[ \t]*:?[ \t]+" + _value(r"[^\s\"']+?(?=[.,;:)]?(?:\s|$))"),
                _I,
            ),
            "password",
            literals=("pass", "pwd", "pw "),
            check=_looks_like_password,
        ),
        # Wi-Fi: netsh wlan show profile … key=clear output; RDP files
        _Rule(
            re.compile(
                r"^[ \t]*Key Content[ \t]*:[ \t]*(?P<v>[^\r\n]*?)[ \t]*(?=\r?$)", _I | re.MULTILINE
            ),
            "wifi-key",
            literals=("key content",),
        ),
        _Rule(
            re.compile(r"^password 51:b:(?P<v>[0-9A-Fa-f]+)", _I | re.MULTILINE),
            "password",
            literals=("51:b:",),
        ),
    )


@dataclass(frozen=True)
class _BlockRule:
    """A whole block from a BEGIN line to its END; without END (a truncated paste) up to a blank
    line. Found in Python rather than with one regex so that many BEGINs stay linear."""

    begin: re.Pattern[str]
    end: re.Pattern[str]
    literal: str


@cache
def _block_rules() -> tuple[_BlockRule, ...]:
    return (
        _BlockRule(
            re.compile(r"-{4,5} ?BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)? ?-{4,5}"),
            re.compile(r"-{4,5} ?END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)? ?-{4,5}"),
            "private key",
        ),
        _BlockRule(
            re.compile(r"PuTTY-User-Key-File-\d+:"),
            re.compile(r"Private-(?:MAC|Hash):[ \t]*[0-9A-Fa-f]+"),
            "putty-user-key-file",
        ),
    )


_BLANK_LINE = re.compile(r"\n[ \t]*\r?\n")


@cache
def _line_rules() -> tuple[_LineRule, ...]:
    return (
        _LineRule(  # net use [X:] \\srv\share <password> /user:DOM\u   or   /user:DOM\u <password>
            re.compile(r"\bnet(?:\.exe)?[ \t]+use\b", _I),
            (
                re.compile(r"(?<!\S)\\\\\S+[ \t]+" + _value(_UNQUOTED_ARG, single=False)),
                re.compile(
                    r"(?<!\S)/u(?:ser)?:(?:\"[^\"\r\n]*\"|\S+)[ \t]+"
                    + _value(_UNQUOTED_ARG, single=False),
                    _I,
                ),
            ),
            "password",
            ("net",),
            prose_guard=True,
        ),
        _LineRule(  # schtasks /create … /ru u /rp <password>   (and /u u /p <password> remotely)
            re.compile(r"(?<![\w-])schtasks(?:\.exe)?\b", _I),
            (re.compile(r"(?<!\S)/r?p[ \t]+" + _value(_UNQUOTED_ARG, single=False), _I),),
            "password",
            ("schtasks",),
        ),
        _LineRule(  # netdom join … /pd:x /po:x
            re.compile(r"(?<![\w-])netdom(?:\.exe)?\b", _I),
            (re.compile(r"(?<!\S)/p[do]:" + _value(r"[^\s\"']+", single=False), _I),),
            "password",
            ("netdom",),
        ),
        _LineRule(  # psexec \\srv -u DOM\u -p <password>; paexec, sshpass -p, cpau
            re.compile(
                r"(?<![\w-])(?:psexec(?:64)?|paexec|sshpass|cpau|runasspc|runas)(?:\.exe)?\b", _I
            ),
            (re.compile(r"(?<!\S)[-/]p(?:[ \t]+|:)" + _value(r"[^\s\"'-]\S*")),),
            "password",
            ("psexec", "paexec", "sshpass", "cpau", "runas"),
        ),
        _LineRule(  # sqlcmd -S srv -U sa -P <password> (upper-case P; -p is statistics)
            re.compile(r"(?<![\w-])(?:sqlcmd|osql|isql|bcp)(?:\.exe)?\b", _I),
            (re.compile(r"(?<!\S)[-/]P(?!assword)[ \t]*" + _value(r"[^\s\"'-]\S*")),),
            "password",
            ("sqlcmd", "osql", "isql", "bcp"),
        ),
        _LineRule(  # mysql -u root -p<password>
            re.compile(r"(?<![\w-])mysql(?:dump|admin|sh)?(?:\.exe)?\b", _I),
            (re.compile(r"(?<!\S)-p" + _value(r"[^\s\"']+")),),
            "password",
            ("mysql",),
        ),
        _LineRule(  # curl -u user:password
            re.compile(r"(?<![\w-])curl(?:\.exe)?\b", _I),
            (
                re.compile(
                    r"(?<!\S)(?:-u|--user|--proxy-user|-U)[ \t]+"
                    r"(?:\"[^\"\r\n:]*:(?P<dq>[^\"\r\n]*)\""
                    r"|'[^'\r\n:]*:(?P<sq>[^'\r\n]*)'|[^\s:\"']+:(?P<v>\S+))"
                ),
            ),
            "password",
            ("curl",),
        ),
        _LineRule(  # smbclient //srv/share -U DOMAIN/user%password
            re.compile(r"(?<![\w-])(?:smbclient|rpcclient|smbmap|net[ \t]+rpc)\b", _I),
            (re.compile(r"(?<!\S)(?:-U[ \t]*|--user(?:=|[ \t]+))[^\s%]+%(?P<v>\S+)"),),
            "password",
            ("smbclient", "rpcclient", "smbmap", "net"),
        ),
        _LineRule(  # netsh wlan add/set … key=<passphrase>   (key=clear is not one)
            re.compile(r"\bnetsh(?:\.exe)?[ \t]+wlan\b", _I),
            (re.compile(r"(?<![\w])key(?:material)?[ \t]*=[ \t]*" + _value(r"[^\s\"']+"), _I),),
            "wifi-key",
            ("netsh",),
        ),
    )


# --- detect-secrets plugins (lazy) -------------------------------------------------------------


@dataclass(frozen=True)
class _LibraryRule:
    pattern: re.Pattern[str]
    kind: str
    literals: tuple[str, ...]
    group: int = 0  # the capture group holding the secret (0: the whole match)
    exact: bool = False  # a longer alphanumeric run is some other thing (a hash, an id)
    extend: str = ""  # characters the real token continues with past a fixed-length pattern
    after: str = ""  # the value starts after this literal within the match
    check: Callable[[str], bool] | None = None
    priority: int = 1  # 2 for a context shape (user:pass@ in a URL), as our own context rules
    per_line: bool = False  # run only around the literal (the pattern backtracks over a line)


_TOKEN_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"


@cache
def _library_rules() -> tuple[_LibraryRule, ...]:
    """detect-secrets' vendor shapes, imported on first use (it pulls in requests, ~90 ms)."""
    try:
        from detect_secrets.plugins.aws import AWSKeyDetector
        from detect_secrets.plugins.azure_storage_key import AzureStorageKeyDetector
        from detect_secrets.plugins.basic_auth import BasicAuthDetector
        from detect_secrets.plugins.discord import DiscordBotTokenDetector
        from detect_secrets.plugins.github_token import GitHubTokenDetector
        from detect_secrets.plugins.gitlab_token import GitLabTokenDetector
        from detect_secrets.plugins.jwt import JwtTokenDetector
        from detect_secrets.plugins.mailchimp import MailchimpDetector
        from detect_secrets.plugins.npm import NpmDetector
        from detect_secrets.plugins.openai import OpenAIDetector
        from detect_secrets.plugins.pypi_token import PypiTokenDetector
        from detect_secrets.plugins.sendgrid import SendGridDetector
        from detect_secrets.plugins.slack import SlackDetector
        from detect_secrets.plugins.square_oauth import SquareOAuthDetector
        from detect_secrets.plugins.stripe import StripeDetector
        from detect_secrets.plugins.telegram_token import TelegramBotTokenDetector
        from detect_secrets.plugins.twilio import TwilioKeyDetector
    except Exception:  # a broken install must not stop outbound traffic; own shapes still apply
        log.warning("detect-secrets is unavailable; scrubbing with the built-in shapes only")
        return ()

    def anchored(pattern: re.Pattern[str]) -> re.Pattern[str]:
        """The plugin's pattern, tried only where a token can start: without this, "eyJ…" in
        a long base64 run is retried at every occurrence (quadratic)."""
        return re.compile(r"(?<![A-Za-z0-9])(?:" + pattern.pattern + ")", pattern.flags)

    def jwt_valid(token: str) -> bool:
        return bool(JwtTokenDetector.is_formally_valid(token.rstrip(".")))

    def shapes(
        patterns: Sequence[re.Pattern[str]], kind: str, literals: tuple[str, ...], **options: Any
    ) -> list[_LibraryRule]:
        whole = options.get("group", 0) == 0 and not options.get("after")
        return [
            _LibraryRule(anchored(p) if whole else p, kind, literals, **options) for p in patterns
        ]

    aws = list(AWSKeyDetector.denylist)
    slack = list(SlackDetector.denylist)
    rules = [
        *shapes(aws[:1], "aws-key", ("akia", "asia", "abia", "acca", "a3t"), exact=True),
        *shapes(aws[1:], "aws-key", ("aws",), group=1),
        *shapes(
            AzureStorageKeyDetector.denylist, "azure-key", ("accountkey=",), after="AccountKey="
        ),
        *shapes(BasicAuthDetector.denylist, "password", ("://",), group=1, priority=2),
        *shapes(DiscordBotTokenDetector.denylist, "token", (".",), exact=True),
        *shapes(GitHubTokenDetector.denylist, "api-key", ("gh",), extend=_TOKEN_CHARS),
        *shapes(GitLabTokenDetector.denylist, "api-key", ("gl", "gr1348941")),
        *shapes(
            JwtTokenDetector.denylist,
            "jwt",
            ("eyj",),
            extend=_TOKEN_CHARS + ".+/=",
            check=jwt_valid,
        ),
        *shapes(MailchimpDetector.denylist, "api-key", ("-us",), exact=True),
        *shapes(NpmDetector.denylist, "api-key", ("_authtoken",), group=1, per_line=True),
        *shapes(OpenAIDetector.denylist, "api-key", ("t3blbkfj",), extend=_TOKEN_CHARS),
        *shapes(PypiTokenDetector.denylist, "api-key", ("pypi-",), extend=_TOKEN_CHARS),
        *shapes(SendGridDetector.denylist, "api-key", ("sg.",), exact=True),
        *shapes(slack[:1], "token", ("xox",), extend=_TOKEN_CHARS),
        *shapes(slack[1:], "token", ("hooks.slack.com",)),
        *shapes(SquareOAuthDetector.denylist, "api-key", ("sq0csp-",), exact=True),
        *shapes(StripeDetector.denylist, "api-key", ("k_live_",), extend=_TOKEN_CHARS),
        *shapes(TelegramBotTokenDetector.denylist, "token", (":",), exact=True),
        *shapes(TwilioKeyDetector.denylist, "api-key", ("ac", "sk"), exact=True),
    ]
    return tuple(rules)


# --- scanning --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Candidate:
    start: int
    end: int
    kind: str
    priority: int


def _value_span(match: re.Match[str]) -> tuple[int, int, str] | None:
    groups = match.re.groupindex
    for name in _VALUE_GROUPS:
        if name in groups and match.start(name) != -1:
            return match.start(name), match.end(name), _HOW[name]
    return None


def _key_before(text: str, start: int) -> str | None:
    """The rest of a config key that ends with the keyword at ``start`` ("api_" of "api_key");
    None when the "key" is the user name of a URL (https://x-access-token:…@host)."""
    i = start
    while i > 0 and start - i < 64 and (text[i - 1].isalnum() or text[i - 1] in "_.-$@"):
        i -= 1
    if text.endswith("://", 0, i):
        return None
    return text[i:start]


def _candidate(
    match: re.Match[str],
    text: str,
    kind: str | None,
    priority: int,
    *,
    prose_guard: bool,
    check: Callable[[str], bool] | None,
    whole: bool,
) -> _Candidate | None:
    """The credential a rule's match stands for, if the captured value is one."""
    if whole:
        start, end, how = match.start(), match.end(), "raw"
    else:
        span = _value_span(match)
        if span is None:
            return None
        start, end, how = span
    groups = match.re.groupindex
    if "kw" in groups:
        before = _key_before(text, match.start("kw"))
        if before is None:
            return None
        key = before + match.group("kw")
    else:
        key = match.group("key") if "key" in groups and match.group("key") else ""
    if kind is None:
        kind = _key_kind(key, match.group("sep") if "sep" in groups else "=")
        if kind is None:
            return None
    value = text[start:end]
    if not _plausible(value, kind, how, text, end, prose_guard=prose_guard):
        return None
    if key.lower() == "sig" and len(value) < 16:
        return None
    if key.lower().endswith("pwd") and _PATH.fullmatch(value):
        return None  # PWD=/home/x in an environment dump is a directory
    if check is not None and not check(value):
        return None
    return _Candidate(start, end, kind, priority)


def _block_candidates(text: str, lowered: str) -> Iterator[_Candidate]:
    for rule in _block_rules():
        if rule.literal not in lowered:
            continue
        begins = list(rule.begin.finditer(text))
        for i, begin in enumerate(begins):
            limit = begins[i + 1].start() if i + 1 < len(begins) else len(text)
            end = rule.end.search(text, begin.end(), limit)
            if end is None:
                end = _BLANK_LINE.search(text, begin.end(), limit)
                stop = end.start() if end is not None else limit
            else:
                stop = end.end()
            yield _Candidate(begin.start(), stop, "private-key", 0)


def _rule_candidates(text: str, lowered: str) -> Iterator[_Candidate]:
    yield from _block_candidates(text, lowered)
    for rule in _rules():
        if rule.literals and not any(literal in lowered for literal in rule.literals):
            continue
        for match in rule.pattern.finditer(text):
            found = _candidate(
                match,
                text,
                rule.kind,
                rule.priority,
                prose_guard=rule.prose_guard,
                check=rule.check,
                whole=rule.whole,
            )
            if found is not None:
                yield found
    for line_rule in _line_rules():
        if not any(literal in lowered for literal in line_rule.literals):
            continue
        scanned_until = -1  # a second trigger on a line already scanned adds nothing
        for trigger in line_rule.trigger.finditer(text):
            if trigger.start() < scanned_until:
                continue
            line_end = text.find("\n", trigger.end())
            line_end = len(text) if line_end == -1 else line_end
            scanned_until = line_end
            for pattern in line_rule.values:
                for match in pattern.finditer(text, trigger.end(), line_end):
                    found = _candidate(
                        match,
                        text,
                        line_rule.kind,
                        2,
                        prose_guard=line_rule.prose_guard,
                        check=None,
                        whole=False,
                    )
                    if found is not None:
                        yield found


def _library_candidates(text: str, lowered: str) -> Iterator[_Candidate]:
    for rule in _library_rules():
        if not any(literal in lowered for literal in rule.literals):
            continue
        covered = 0  # end of the last extended token: matches inside it are the same token
        for match in _library_matches(rule, text, lowered):
            start, end = match.span(rule.group)
            if start == -1 or start < covered:
                continue
            if rule.after:
                offset = match.group(rule.group).find(rule.after)
                if offset == -1:
                    continue
                start += offset + len(rule.after)
            if rule.group == 0 and not rule.after and start > 0 and text[start - 1].isalnum():
                continue  # inside a longer word or hash
            if rule.extend:
                while end < len(text) and text[end] in rule.extend:
                    end += 1
                while end > start and text[end - 1] == ".":
                    end -= 1
                covered = end
            elif rule.exact and end < len(text) and text[end].isalnum():
                continue
            value = text[start:end]
            if rule.group and _is_variable_or_template(value):
                continue
            if rule.check is not None and not rule.check(value):
                continue
            yield _Candidate(start, end, rule.kind, rule.priority)


def _library_matches(rule: _LibraryRule, text: str, lowered: str) -> Iterator[re.Match[str]]:
    if not rule.per_line:
        yield from rule.pattern.finditer(text)
        return
    literal = rule.literals[0]
    index = lowered.find(literal)
    while index != -1:  # a window around each occurrence, within its line
        start = max(text.rfind("\n", 0, index) + 1, index - 512)
        end = text.find("\n", index, index + 1024)
        end = min(len(text), index + 1024) if end == -1 else end
        yield from rule.pattern.finditer(text, start, end)
        index = lowered.find(literal, end)


def _overlaps(
    spans: Sequence[tuple[int, int]], starts: Sequence[int], start: int, end: int
) -> bool:
    """Whether [start, end) overlaps one of the sorted, disjoint ``spans``."""
    i = bisect.bisect_left(starts, end)
    return i > 0 and spans[i - 1][1] > start


def placeholder_spans(text: str) -> list[tuple[int, int]]:
    """Where the placeholders already in ``text`` are (sorted, disjoint)."""
    return [m.span() for m in PLACEHOLDER_RE.finditer(text)]


def merge(candidates: Iterator[_Candidate] | list[_Candidate]) -> list[Finding]:
    """Overlapping candidates become one finding spanning them all (masking more never leaks);
    its kind is the most specific one (lowest priority, then longest span)."""
    ordered = sorted(candidates, key=lambda c: (c.start, -c.end))
    findings: list[Finding] = []
    cluster: list[_Candidate] = []
    cluster_end = -1

    def flush() -> None:
        if cluster:
            best = min(cluster, key=lambda c: (c.priority, c.start - c.end))
            findings.append(Finding(cluster[0].start, cluster_end, best.kind))

    for candidate in ordered:
        if candidate.start >= candidate.end:
            continue
        if cluster and candidate.start < cluster_end:
            cluster.append(candidate)
            cluster_end = max(cluster_end, candidate.end)
            continue
        flush()
        cluster = [candidate]
        cluster_end = candidate.end
    flush()
    return findings


def candidates(text: str) -> list[_Candidate]:
    """All credential candidates in ``text`` that do not touch a placeholder already there."""
    if not text:
        return []
    lowered = text.lower()
    protected = placeholder_spans(text)
    starts = [span[0] for span in protected]
    found = [*_rule_candidates(text, lowered), *_library_candidates(text, lowered)]
    return [c for c in found if not _overlaps(protected, starts, c.start, c.end)]


def find_credentials(text: str) -> list[Finding]:
    """Non-overlapping findings sorted by start. Never raises on any input."""
    if not isinstance(text, str) or not text:
        return []
    return merge(candidates(text))
