"""Redaction for exports: secrets and personal data never leave in an exported text.

With redaction on (``[export] redact``, ``--redact``), every string of every exported record is
passed through the built-in detectors below, then through the person's own ``patterns``:
private key blocks, cloud and service keys (AWS ``AKIA…``, ``sk-``/``sk-proj-``, GitHub,
GitLab, Slack, Stripe, Google, Hugging Face, npm), JWTs, bearer/basic credentials and
``Authorization`` headers, credentials in URLs, ``password is …`` / ``mot de passe : …`` /
``Passwort: …`` and ``api_key=…`` style pairs in several languages, e-mail addresses, IBANs,
card numbers (Luhn), US social security numbers, phone numbers, long digit runs and long
random-looking tokens. Screenshots are not redacted — capture masks (``[capture]``) keep
sensitive regions out of them in the first place.

The design choices a reader must know: it *fails closed*. The export walks whole records
(:func:`redact_value`: every string at any depth, dictionary keys included, large integers
too), rather than a list of fields that a new column would escape; and the detectors prefer
masking a harmless word to letting a secret through. Where a detector has a label (``password:``,
``https://…@``), the label stays and only the secret becomes ``[redacted]``.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

MASK = "[redacted]"
Check = Callable[[str], bool]

_IBAN_COUNTRIES = (
    "AD AE AL AT AZ BA BE BG BH BI BR BY CH CR CY CZ DE DJ DK DO EE EG ES FI FK FO FR GB GE GI "
    "GL GR GT HR HU IE IL IQ IS IT JO KW KZ LB LC LI LT LU LV LY MC MD ME MK MN MR MT MU NI NL "
    "NO OM PK PL PS PT QA RO RS RU SA SC SD SE SI SK SM SO ST SV TL TN TR UA VA VG XK").split()
_SECRET_WORDS = (
    r"passwords?|passwd|passphrase|passcode|pass\s?word|pwd|pw|pin(?:\s?code)?|"
    r"mot\s+de\s+passe|mdp|code\s+(?:secret|pin|confidentiel|d['’]accès)|"
    r"contrase(?:ñ|n)a|clave|passwort|kennwort|geheimzahl|senha|"
    r"parola\s+(?:d['’]ordine|chiave)|wachtwoord|has(?:ł|l)o|heslo|lösenord|adgangskode|"
    r"пароль|secret|api[\s_-]?key|access[\s_-]?key|secret[\s_-]?key|private[\s_-]?key|"
    r"client[\s_-]?secret|auth(?:entication)?[\s_-]?token|access[\s_-]?token|"
    r"refresh[\s_-]?token|token|otp|one[\s-]time\s+(?:code|password)|verification\s+code|"
    r"security\s+code|cvv|cvc|credentials?")
_SEPARATORS = (r"\s*(?::|：|=|=>|->|\bis\b|\bwas\b|\bare\b|\best\b|\bc['’]est\b|\bes\b|"
               r"\bist\b|\blautet\b|\bé\b|\bè\b|\bera\b|\bwar\b|\bsind\b)\s*")
# Words that follow "the password field is ..." in a model's reasoning: not secrets. (A
# password that is exactly one of these words is the one thing this lets through.)
_NOT_SECRETS = (r"(?:empty|filled|blank|visible|hidden|focused|required|incorrect|correct|wrong|"
                r"invalid|valid|shown|masked|selected|active|entered|typed|missing|saved|"
                r"changed|set|ready|not|now|still|also|being|already|the|a|an|in|on|at|"
                r"here|there|field|box|input|prompt|dialog)(?![\w-])")
# A secret after a label: quoted (the quotes stay), else up to a space or JSON punctuation;
# never the mask itself, so redacting twice changes nothing.
_VALUE = (r"(?:\\\"(?P<s5>(?!\[redacted\])[^\"\n]{1,300}?)\\\""
          r"|\"(?P<s1>(?!\[redacted\])[^\"\n]{1,300})\"|'(?P<s2>(?!\[redacted\])[^'\n]{1,300})'"
          r"|[“«](?P<s3>(?!\[redacted\])[^”»\n]{1,300})[”»]"
          rf"|(?P<s4>(?!\[redacted\]|{_NOT_SECRETS}|\\)[^\s\"'<>{{}}\[\],;]+))")


def luhn(text: str) -> bool:
    """Whether the digits of ``text`` pass the Luhn check (card numbers do).

    >>> luhn("4111 1111 1111 1111"), luhn("4111 1111 1111 1112")
    (True, False)
    """
    digits = [int(c) for c in text if c.isdigit()]
    if not 12 <= len(digits) <= 19:
        return False
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _phone(text: str) -> bool:
    digits = sum(c.isdigit() for c in text)
    if not 8 <= digits <= 15 and not (text.startswith("+") and 7 <= digits <= 15):
        return False
    if re.fullmatch(r"\d{4}[-./]\d{1,2}[-./]\d{1,2}|\d{1,2}[-./]\d{1,2}[-./]\d{4}", text):
        return False  # a date
    try:
        ipaddress.IPv4Address(text)
    except ValueError:
        return True
    return False


def _iban(text: str) -> bool:
    return sum(c.isdigit() for c in text) >= 8


def _random_token(text: str) -> bool:
    return (any(c.islower() for c in text) and any(c.isupper() for c in text)
            and any(c.isdigit() for c in text) and text.count("/") <= 2)


@dataclass(frozen=True)
class Detector:
    """One class of secret: what finds it, an optional check, and (through groups named
    ``s…``) which part is the secret; without such groups the whole match is."""

    name: str
    pattern: re.Pattern[str]
    check: Check | None = None

    def apply(self, text: str) -> str:
        return self.pattern.sub(self._mask, text)

    def _mask(self, match: re.Match[str]) -> str:
        whole = match.group(0)
        if self.check is not None and not self.check(whole):
            return whole
        spans = [match.span(name) for name in match.groupdict()
                 if name.startswith("s") and match.group(name) is not None]
        if not spans:
            return MASK
        out, at = [], match.start()
        for start, end in sorted(spans):
            out += [match.string[at:start], MASK]
            at = end
        out.append(match.string[at:match.end()])
        return "".join(out)


def _d(name: str, pattern: str, check: Check | None = None, flags: int = 0) -> Detector:
    return Detector(name, re.compile(pattern, flags), check)


DETECTORS: tuple[Detector, ...] = (
    _d("private key", r"-----BEGIN[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----[\s\S]*?"
                      r"(?:-----END[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|\Z)"),
    _d("credentials in a URL", r"(?i)(?<![a-z0-9+.-])[a-z][a-z0-9+.-]*://(?P<s>[^\s/?#@]+)@"),
    _d("secret in a URL query", r"(?i)[?&;](?:access_token|token|api_?key|key|secret|"
                                r"password|passwd|pwd|sig|signature|auth|code)="
                                r"(?P<s>[^&\s#\"'<>]+)"),
    _d("JWT", r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*"),
    _d("AWS access key", r"\b(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AIPA|ANPA|ANVA|AROA|"
                         r"APKA|ASCA)[A-Z0-9]{16}\b"),
    _d("API key (sk-)", r"\bsk-[A-Za-z0-9_-]{16,}"),
    _d("Stripe key", r"\b(?:sk|pk|rk)_(?:live|test)_[A-Za-z0-9]{10,}"),
    _d("GitHub token", r"\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})"),
    _d("GitLab token", r"\bglpat-[A-Za-z0-9_-]{20,}"),
    _d("Slack token", r"\bxox[abposre]-[A-Za-z0-9-]{10,}|https://hooks\.slack\.com/\S+"),
    _d("Google key", r"\bAIza[0-9A-Za-z_-]{30,}|\bya29\.[0-9A-Za-z_-]{20,}"),
    _d("Hugging Face token", r"\bhf_[A-Za-z0-9]{30,}"),
    _d("npm token", r"\bnpm_[A-Za-z0-9]{30,}"),
    _d("SendGrid key", r"\bSG\.[\w-]{16,}\.[\w-]{16,}"),
    _d("Authorization header", r"(?i)\b(?:proxy-)?authorization\b\s*[:=]\s*(?:[\w-]+\s+)?"
                               r"(?P<s>[^\s\"',;]+)"),
    _d("bearer credentials", r"(?i)\b(?:bearer|basic|token)\s+(?P<s>[A-Za-z0-9._~+/=-]{12,})"),
    _d("labelled secret",
       rf"(?i)\b(?:{_SECRET_WORDS})\b[^\n.!?:=]{{0,30}}?(?:{_SEPARATORS})+{_VALUE}"),
    _d("code after its name", r"(?i)\b(?:pin|otp|code|cvv|cvc|passcode|tan)\s+(?:code\s+)?"
                              r"(?P<s>\d{3,10})(?!\w)"),
    _d("CJK labelled secret", r"(?:密码|密碼|口令|暗证|パスワード|暗証番号|비밀번호)\s*"
                              r"(?:是|为|為|は|：|:|=|는|은)?\s*(?P<s>[^\s,;，。]+)"),
    _d("secret assignment", r"(?i)(?<![\w.-])[\w.-]*?(?:secret|token|passw(?:or)?d|pwd|"
                            r"api[_-]?key|apikey|access[_-]?key|private[_-]?key|auth|credential|"
                            rf"session[_-]?id|cookie)[\w.-]*[\"']?\s*(?::|=)\s*{_VALUE}"),
    _d("e-mail address", r"(?<![\w.+%-])[\w.+%-]+@[\w-]+(?:\.[\w-]+)+"),
    _d("IBAN", r"\b(?:" + "|".join(_IBAN_COUNTRIES) + r")\d{2}(?:[ -]?[A-Z0-9]){11,30}\b",
       _iban),
    _d("card number", r"(?<!\w)(?:\d[ .-]?){12,18}\d(?!\w)", luhn),
    _d("US social security number", r"(?<!\w)\d{3}-\d{2}-\d{4}(?!\w)"),
    _d("phone number", r"(?<![\w+])(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,5}\)[ .-]?)?\d{1,5}"
                       r"(?:[ .-]\d{1,5}){1,6}(?!\w)", _phone),
    _d("long number", r"(?<![\w.])(?<!\d[ -])\d(?:[ -]?\d){9,}(?!\w)"),
    _d("random-looking token", r"(?<![\w/+=-])[A-Za-z0-9_+/=-]{32,}(?![\w/+=-])",
       _random_token),
)


def redact_text(text: str, extra: tuple[re.Pattern[str], ...] = ()) -> str:
    """``text`` with every detected secret (and every match of ``extra``) masked.

    >>> redact_text("mail ada@example.org, card 4111 1111 1111 1111, password: hunter2")
    'mail [redacted], card [redacted], password: [redacted]'
    >>> redact_text("mon mot de passe est «soleil 42» et la clé AKIAIOSFODNN7EXAMPLE")
    'mon mot de passe est «[redacted]» et la clé [redacted]'
    """
    for detector in DETECTORS:
        text = detector.apply(text)
    for pattern in extra:
        text = pattern.sub(MASK, text)
    return text


def redact_value(obj: Any, clean: Callable[[str], str]) -> Any:
    """``obj`` with ``clean`` applied to every string at any depth (dictionary keys too) and
    to large integers (a card number stored as a number); bytes, floats and bools are kept.

    >>> redact_value({"extra": {"answer": ["call +33 6 12 34 56 78"]}, "n": 4111111111111111},
    ...              redact_text)
    {'extra': {'answer': ['call [redacted]']}, 'n': '[redacted]'}
    """
    if isinstance(obj, str):
        return clean(_redact_json_text(obj, clean))
    if isinstance(obj, dict):
        out: dict[Any, Any] = {}
        for key, value in obj.items():
            new_key = clean(key) if isinstance(key, str) else key
            while new_key in out:  # two keys masked to the same text: keep both values
                new_key = f"{new_key}'"
            out[new_key] = redact_value(value, clean)
        return out
    if isinstance(obj, (list, tuple)):
        return [redact_value(v, clean) for v in obj]
    if isinstance(obj, int) and not isinstance(obj, bool) and abs(obj) >= 10**6:
        return obj if clean(str(obj)) == str(obj) else MASK
    return obj


def _redact_json_text(text: str, clean: Callable[[str], str]) -> str:
    """A string that holds a JSON object or list (a takeover's actions, a tool's output) is
    redacted value by value — escapes such as ``\\u00f1`` or ``\\"`` hide nothing then."""
    body = text.strip()
    if not (body[:1] in "{[" and body[-1:] in "}]"):
        return text
    try:
        parsed = json.loads(body)
    except (ValueError, RecursionError):
        return text
    if not isinstance(parsed, (dict, list)):
        return text
    return json.dumps(redact_value(parsed, clean), ensure_ascii=False)


@dataclass(frozen=True)
class ExportConfig:
    redact: bool = False  # redact every export (the command line's --redact/--no-redact wins)
    patterns: tuple[str, ...] = ()  # your own regexes, masked on top of the built-in detectors

    def __post_init__(self) -> None:
        for pattern in self.patterns:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"export pattern {pattern!r} is not a valid regex: {exc}"
                                 ) from None


def redactor(config: ExportConfig) -> Callable[[str], str] | None:
    """The text → text function for ``agent.store.export.export``, or None when off.

    >>> clean = redactor(ExportConfig(redact=True, patterns=(r"\\bACME-\\d+\\b",)))
    >>> clean("ticket ACME-42 from ada@example.org")
    'ticket [redacted] from [redacted]'
    >>> redactor(ExportConfig()) is None
    True
    """
    if not config.redact:
        return None
    extra = tuple(re.compile(p) for p in config.patterns)
    return lambda text: redact_text(text, extra)
