"""Signs of a secret field in words, in many languages: titles, labels, prompts, reasoning.

``SECRET_WORDS`` name a secret (password, PIN, one-time code ...) in ~40 languages;
``LOGIN_WORDS`` name a sign-in page (where the next field is often the password);
``TERMINAL_PROMPT`` is what a terminal prints when it reads a secret (``[sudo] password for
bob:``, ``Enter passphrase for key``, ``Verification code:``). The defaults of
``safety.password_title_patterns`` are ``SECRET_WORDS + LOGIN_WORDS``; the model's reasoning
is searched for ``SECRET_WORDS`` only (a model that *reads* a login page is not typing a
secret).

The one design choice a reader must know: words are matched on a folded copy of the text as
well as on the text itself (``fold``: compatibility forms such as full-width letters
unfolded, invisible format characters dropped, Cyrillic and Greek look-alikes of Latin
letters mapped to them), so ``Ｐａｓｓｗｏｒｄ``, ``Pass\\u200bword`` and ``Pаssword`` (a Cyrillic
``а``) are all a password prompt. Scripts without spaces (Chinese, Japanese, Thai) are
matched without word boundaries.
"""

from __future__ import annotations

import re
import unicodedata

SECRET_WORDS: tuple[str, ...] = (
    # English
    r"pass(word|wd|phrase|code)",
    r"(?-i:\bPINs?\b)",
    r"\bpin[ -]?(code|number|field|entry)\b",
    r"\b(one[ -]?time|verification|security|authentication|auth|confirmation|access|sms"
    r"|2fa|mfa|otp|totp|backup|recovery|login|sign[ -]?in) (code|key|pin)s?\b",
    r"(?-i:\b(OTP|TOTP|2FA|MFA|CVV2?|CVC2?)\b)",
    r"\bsecret (key|code|answer)\b",
    # French, German, Dutch
    r"\bmot de passe\b", r"\bcode (secret|pin|de (vérification|sécurité|confirmation))\b",
    r"passwort|kennwort", r"\bgeheimzahl\b",
    r"(bestätigungs|sicherheits|zugangs|einmal)code\b",
    r"wachtwoord", r"\b(verificatie|toegangs|beveiligings)code\b",
    # Spanish, Portuguese, Italian, Romanian, Turkish
    r"contrase[ñn]a", r"\bclave\b",
    r"c[óo]digo (de )?(verificaci[óo]n|seguridad|acceso|confirmaci[óo]n|pin)",
    r"\bsenha\b", r"palavra[- ]passe",
    r"c[óo]digo (de )?(verifica[çc][ãa]o|seguran[çc]a|acesso|confirma[çc][ãa]o)",
    r"parola d['’]ordine", r"codice (di verifica|di sicurezza|segreto|pin|otp)",
    r"[şs]ifre(niz|nizi|yi|si)?\b", r"do[ğg]rulama kodu",
    # Nordic, Baltic, Finnish, Hungarian
    r"l[öo]senord", r"\bpassord\b", r"adgangskode|kodeord", r"salasana",
    r"\bparool\b", r"\bparol[aăeiu]?\b", r"slapta[žz]od", r"jelsz[óo]",
    # Slavic (Latin and Cyrillic), Greek
    r"has[łl](o|a|em)\b", r"\bkod (weryfikacyjny|dost[ęe]pu|pin|sms)\b",
    r"\bhesl(o|a|em|e)\b", r"\bgeslo\b", r"\blozink[aeiu]\b",
    r"парол", r"лозинк", r"код (подтверждения|доступа|из смс|підтвердження)",
    r"κωδικ[όο]ς|συνθηματικ",
    # Arabic, Hebrew, Persian, Hindi, Thai, Vietnamese, Indonesian / Malay
    r"كلمة (المرور|السر)", r"رمز (التحقق|المرور)", r"סיסמ", r"رمز عبور|گذرواژه",
    r"पासवर्ड|सत्यापन कोड", r"รหัสผ่าน|รหัส ?OTP", r"m[ậa]t kh[ẩa]u", r"mã (xác minh|xác nhận|otp)",
    r"kata (sandi|laluan)", r"\bkode (verifikasi|otp)\b",
    # Chinese, Japanese, Korean
    r"密码|密碼|口令|验证码|驗證碼|校验码|動態碼|动态码",
    r"パスワード|暗証番号|認証コード|確認コード|ワンタイム",
    r"비밀번호|암호|인증 ?번호|인증 ?코드|패스워드|보안 ?코드",
)

LOGIN_WORDS: tuple[str, ...] = (
    r"\bsign[ -]?(in|on)\b", r"\blog[ -]?(in|on)\b", r"\bsudo\b", r"\bauthenticat(e|ion)\b",
    r"\bunlock\b", r"\bcredentials?\b",
    r"\banmeld(en|ung)\b", r"\bauthentifi(zierung|cation)\b", r"\bconnexion\b",
    r"\bse connecter\b", r"\bidentifiez-vous\b", r"iniciar sesi[óo]n|inicia sesi[óo]n",
    r"autenticaci[óo]n|autentica[çc][ãa]o|autenticazione", r"\baccedi\b",
    r"\binloggen\b|\baanmelden\b", r"\bzaloguj|logowanie\b", r"giri[şs] yap",
    r"войти|\bвход\b|авторизац|аутентифика", r"登录|登入|登錄|身份验证|身份驗證",
    r"ログイン|サインイン|認証", r"로그인|인증",
)

# What a terminal prints when it reads a secret (its last line), beyond the secret words.
TERMINAL_PROMPT = re.compile(
    r"\[sudo\]|\bsudo\b.*:\s*$|^\s*(password|passphrase|passcode|pin|otp|token|code)\s*[:：]"
    r"|'s password:|enter (pem )?pass ?phrase|verification code|one-time|\bsu\b.*:\s*$"
    r"|(unlock|decrypt).*:\s*$",
    re.IGNORECASE | re.MULTILINE)

_SECRET = [re.compile(p, re.IGNORECASE) for p in SECRET_WORDS]

# Cyrillic and Greek letters that look like Latin ones.
_LOOKALIKES = str.maketrans({
    "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x", "і": "i",
    "ѕ": "s", "ј": "j", "ԁ": "d", "ԛ": "q", "ԝ": "w", "һ": "h", "ӏ": "l", "ɑ": "a",
    "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P",
    "С": "C", "Т": "T", "Х": "X", "І": "I", "Ѕ": "S", "Ј": "J",
    "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M",
    "Ν": "N", "Ο": "O", "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X", "ο": "o", "ν": "v",
    "ρ": "p", "α": "a", "ι": "i", "κ": "k", "τ": "t", "υ": "u",
})


def fold(text: str) -> str:
    """The text with compatibility forms unfolded, format characters dropped, look-alikes
    mapped to Latin letters.

    >>> fold("Ｐａｓｓ\\u200bwоrd")  # full-width letters, a zero-width space, a Cyrillic о
    'Password'
    """
    text = unicodedata.normalize("NFKC", text)
    text = "".join(c for c in text if unicodedata.category(c) != "Cf")
    return text.translate(_LOOKALIKES)


def variants(text: str) -> tuple[str, ...]:
    """The text and, if different, its folded copy: what every pattern is searched in."""
    folded = fold(text)
    return (text,) if folded == text else (text, folded)


def mentions_secret(text: str | None) -> bool:
    """Whether the text names a password, PIN or one-time code, in any of the languages.

    >>> [mentions_secret(t) for t in ("Type the password", "Entrez le mot de passe",
    ...  "请输入密码", "Введите пароль", "the passport number", "pin the tab")]
    [True, True, True, True, False, False]
    """
    if not text:
        return False
    return any(p.search(v) for v in variants(text) for p in _SECRET)


def terminal_prompt(text: str | None) -> bool:
    """Whether a terminal's last line(s) look like it is reading a secret.

    >>> terminal_prompt("$ sudo apt upgrade\\n[sudo] password for bob: ")
    True
    >>> terminal_prompt("bob@host:~$ ls")
    False
    """
    if not text:
        return False
    last = [line for line in text.splitlines() if line.strip()][-1:]
    if not last:
        return False
    line = last[0]
    return any(TERMINAL_PROMPT.search(v) or mentions_secret(v) for v in variants(line))
