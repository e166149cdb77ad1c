"""Policy words across English and Indonesian, so a question's words can match the other language.

The embedding model is multilingual, but word matching (BM25, word coverage in the evidence and
abstention rules) is not: "berapa lama WhatsApp menyimpan pesan" shares no word with "we may keep
it on our servers for up to 30 days". The glossary gives the English words of the Indonesian
words privacy policies and terms of service use, and the reverse, so a question also has a
counterpart: its known words in the other language, with its names and numbers kept.

Keys and values are plain words; both sides are stemmed the way ``tokenize`` stems them, so every
inflection meets its base word ("menyimpan", "disimpan" -> "simpan" -> keep, store, retain).
"""

from __future__ import annotations

import re
from functools import cache

from qa.retrieve.lexical import STOPWORDS, tokenize

# Indonesian word -> English words, for the vocabulary of policies, terms and the news about them.
# Roots whose derived words mostly mean something else are left out: "menarik" (withdraw) is
# far more often "interesting", "termasuk" (from "masuk", enter) is "including".
GLOSSARY: dict[str, tuple[str, ...]] = {
    "data": ("data",),
    "pribadi": ("personal", "private"),
    "informasi": ("information",),
    "pesan": ("message",),
    "obrolan": ("chat",),
    "kontak": ("contact",),
    # "buku alamat" (address book), "buku telepon" (phone book).
    "buku": ("book",),
    "daftar": ("list", "register"),
    "simpan": ("keep", "store", "retain"),
    "hapus": ("delete", "remove", "erase"),
    "bagi": ("share",),
    "kirim": ("send", "deliver"),
    "terima": ("receive", "accept"),
    "kumpul": ("collect",),
    "guna": ("use", "user"),
    "pakai": ("use",),
    "proses": ("process",),
    "olah": ("process",),
    "akun": ("account",),
    "layan": ("service",),
    "ketentuan": ("terms",),
    "syarat": ("terms", "conditions"),
    "kebijakan": ("policy",),
    "privasi": ("privacy",),
    "lokasi": ("location",),
    "enkripsi": ("encryption", "encrypted"),
    "ujung": ("end",),
    "iklan": ("advertising", "ads", "advertisement"),
    "jual": ("sell",),
    "beli": ("buy", "purchase"),
    "bayar": ("pay", "payment"),
    "transaksi": ("transaction",),
    "hak": ("rights",),
    "anak": ("children", "child"),
    "usia": ("age",),
    "umur": ("age",),
    "tahun": ("year",),
    "bulan": ("month",),
    "hari": ("days",),
    "lama": ("long", "period"),
    "perusahaan": ("company",),
    "pihak": ("party", "parties"),
    "ketiga": ("third",),
    "mitra": ("partner",),
    "afiliasi": ("affiliate",),
    "grup": ("group",),
    "server": ("server",),
    "negara": ("country",),
    "wilayah": ("region",),
    "eropa": ("european", "europe"),
    "luar": ("outside",),
    "hukum": ("law", "legal"),
    "polisi": ("police",),
    "pemerintah": ("government",),
    "otoritas": ("authority", "authorities"),
    "minta": ("request",),
    "izin": ("permission", "consent"),
    "setuju": ("agree", "consent"),
    "cookie": ("cookies",),
    "perangkat": ("device",),
    "telepon": ("phone",),
    "ponsel": ("phone", "mobile"),
    "nomor": ("number",),
    "alamat": ("address",),
    "surel": ("email",),
    "nama": ("name",),
    "foto": ("photo",),
    "gambar": ("image", "picture"),
    "panggil": ("call",),
    "profil": ("profile",),
    "cadang": ("backup",),
    "aman": ("security", "secure", "safe"),
    "lindung": ("protect", "protection"),
    "akses": ("access",),
    "ubah": ("change", "modify"),
    "baru": ("new", "update"),
    "tangguh": ("suspend", "suspended"),
    "blokir": ("block", "ban"),
    "larang": ("prohibit", "ban"),
    "lapor": ("report",),
    "keluh": ("complaint",),
    "hubung": ("contact",),
    "dukung": ("support",),
    "bisnis": ("business",),
    "usaha": ("business",),
    "pasar": ("marketing", "market"),
    "analitik": ("analytics",),
    "sidik": ("fingerprint",),
    "jari": ("finger",),
    "wajah": ("face", "facial"),
    "biometrik": ("biometric",),
    "sehat": ("health",),
    "medis": ("medical",),
    "dokter": ("doctor",),
    "uang": ("money", "financial"),
    "kartu": ("card",),
    "kredit": ("credit",),
    "pinjam": ("loan", "borrow"),
    "pindah": ("transfer", "move"),
    "retensi": ("retention",),
    "sementara": ("temporary",),
    "otomatis": ("automatic", "automatically"),
    "putus": ("decision",),
    "lacak": ("track", "tracking"),
    "pantau": ("monitor",),
    "rekam": ("record",),
    "catat": ("log", "record"),
    "riwayat": ("history",),
    "waktu": ("time",),
    "tanggal": ("date",),
    "laku": ("effective", "apply"),
    "sejak": ("since",),
    "sebelum": ("before",),
    "setelah": ("after",),
    "sesudah": ("after",),
    "versi": ("version",),
    "gratis": ("free",),
    "biaya": ("fee", "cost", "charge"),
    "langgan": ("subscription", "subscribe"),
    "henti": ("stop", "cancel"),
    "batal": ("cancel",),
    "kembali": ("refund", "return"),
    "dana": ("funds",),
    "tanggung": ("liability", "responsible"),
    "sengketa": ("dispute",),
    "adil": ("court",),
    "arbitrase": ("arbitration",),
    "lisensi": ("license",),
    "konten": ("content",),
    "isi": ("content",),
    "unggah": ("upload",),
    "unduh": ("download",),
    "terus": ("forward",),
    "siar": ("broadcast",),
    "saluran": ("channel",),
    "komunitas": ("community",),
    "tipu": ("fraud",),
    "salahguna": ("abuse", "misuse"),
    "selamat": ("safety",),
    "darurat": ("emergency",),
    "rahasia": ("secret", "confidential"),
    "sandi": ("password",),
    "verifikasi": ("verification", "verify"),
    "langkah": ("step",),
    "identitas": ("identity",),
    "tua": ("parent", "parents"),
    "dewasa": ("adult",),
    "karyawan": ("employee",),
    "gaji": ("salary", "pay"),
    "insinyur": ("engineer",),
    "cuaca": ("weather",),
    "tahan": ("retain", "hold"),
    "musnah": ("destroy",),
    "tampil": ("show", "display"),
    "baca": ("read",),
    "lihat": ("see", "view"),
    "dengar": ("listen", "hear"),
    "sedia": ("provide",),
    "beri": ("provide", "give"),
    "tawar": ("offer",),
    "asing": ("foreign",),
    "internasional": ("international",),
    "jaringan": ("network",),
    "internet": ("internet",),
    "aplikasi": ("app", "application"),
    "situs": ("site", "website"),
    "web": ("web", "website"),
    "cerita": ("story", "stories"),
    "tanda": ("mark", "sign"),
    "centang": ("tick", "check"),
    "wajib": ("must", "required"),
    "opsional": ("optional",),
    "pilih": ("choose", "option", "opt"),
    "tolak": ("refuse", "reject", "object"),
    "keberatan": ("object", "objection"),
    "koreksi": ("correct", "rectify"),
    "salin": ("copy",),
    "portabilitas": ("portability",),
    "ekspor": ("export",),
    "undang": ("law", "invite"),
    "regulasi": ("regulation",),
    "pajak": ("tax",),
    "bocor": ("breach", "leak"),
    "langgar": ("breach", "violation", "violate"),
    "pemberitahuan": ("notice", "notification"),
    "beritahu": ("notify", "inform"),
    "petugas": ("officer",),
    "pejabat": ("officer",),
    "ue": ("eu", "european", "union"),
    "masalah": ("issue", "problem"),
    "teknis": ("technical",),
    "jelas": ("explain", "clear"),
    "aju": ("submit",),
    "tinggal": ("live", "reside", "resident"),
    "sebut": ("mention",),
    "jalan": ("run", "operate"),
    "komunikasi": ("communicate", "communication"),
    "muncul": ("appear",),
    "kamera": ("camera",),
    "mikrofon": ("microphone",),
    "suara": ("voice", "audio"),
    "video": ("video",),
    "bot": ("bot",),
    "premium": ("premium",),
    "sasar": ("target",),
    "target": ("target",),
    "transfer": ("transfer",),
    "awan": ("cloud",),
    "pusat": ("center", "centre"),
    "ambil": ("collect", "take", "obtain"),
    "tegak": ("enforce", "enforcement"),
    "patuh": ("comply", "compliance"),
    "batas": ("limit", "restrict"),
    "sensitif": ("sensitive",),
    "saran": ("suggest", "recommend"),
    "rekomendasi": ("recommend", "recommendation"),
    "personalisasi": ("personalize", "personalise", "personalized"),
    "teliti": ("research",),
    "statistik": ("statistic", "statistics"),
    "agregat": ("aggregate",),
    "anonim": ("anonymous", "anonymize", "anonymise"),
    "nonaktif": ("deactivate", "disable"),
    "aktif": ("active", "activate", "enable"),
    "pulih": ("restore", "recover"),
    "atur": ("setting", "manage", "control"),
    "kendali": ("control",),
    "fitur": ("feature",),
    "produk": ("product",),
    "status": ("status",),
    "gabung": ("join", "combine", "merge"),
    "teman": ("friend",),
    "keluarga": ("family",),
    "induk": ("parent",),
    "kelompok": ("group",),
    "tagih": ("bill", "charge"),
    "bantu": ("help", "support", "assist"),
    "jawab": ("answer", "respond"),
    "terjemah": ("translate", "translation"),
    "transkripsi": ("transcribe", "transcription"),
    "umum": ("public", "general"),
    "publik": ("public",),
    "sembunyi": ("hide",),
    "tinjau": ("review",),
    "ulas": ("review",),
    "tuju": ("purpose",),
    "dasar": ("basis",),
    "sah": ("legitimate", "lawful", "valid"),
    "penting": ("interest", "important"),
    "kontrak": ("contract",),
    "janji": ("agreement", "promise"),
    "ganti": ("replace", "compensate", "change"),
    "rugi": ("loss", "damage", "liability"),
    "tuntut": ("claim", "sue"),
    "efektif": ("effective",),
    "akhir": ("last", "end", "final"),
    "ancam": ("threat", "threaten"),
    "serang": ("attack",),
    "retas": ("hack",),
    "spam": ("spam",),
    "leceh": ("harass", "harassment"),
    "keras": ("violence", "violent"),
    "ilegal": ("illegal", "unlawful"),
    "jamin": ("guarantee", "warranty", "warrant"),
}
_NUMBER = re.compile(r"\d")


def _nasal(root: str, prefix: str) -> str:
    """``root`` with the nasal prefix meN-/peN- (``prefix`` "me" or "pe"), as Indonesian spells
    it: "tipu" -> "menipu", "pakai" -> "memakai", "simpan" -> "menyimpan", "kirim" ->
    "mengirim"."""
    head = root[:1]
    if head in "aeiou" or head in "gh":
        return f"{prefix}ng{root}"
    if head in "bfv":
        return f"{prefix}m{root}"
    if head == "p":
        return f"{prefix}m{root[1:]}"
    if head in "dcjz":
        return f"{prefix}n{root}"
    if head == "t":
        return f"{prefix}n{root[1:]}"
    if head == "s":
        return f"{prefix}ny{root[1:]}"
    if head == "k":
        return f"{prefix}ng{root[1:]}"
    return f"{prefix}{root}"


def _affixed(root: str) -> list[str]:
    """Common derived words of an Indonesian ``root`` (verbs and nouns of the meN-/peN-/di-/
    ke-/ber- families).

    The Snowball Indonesian stemmer strips affixes but does not restore the first letter a
    nasal prefix replaced ("penipuan" stems to "ipu", not "tipu"), and it strips "-lah" and
    "-kah" from roots ("masalah" -> "masa"): the glossary looks up every stem a word of the root
    can have, not only the root's own.
    """
    me, pe = _nasal(root, "me"), _nasal(root, "pe")
    return [
        me,
        f"{me}kan",
        f"{me}i",
        pe,
        f"{pe}an",
        f"di{root}",
        f"di{root}kan",
        f"ke{root}an",
        f"{root}an",
        f"ber{root}",
        f"per{root}an",
        f"ter{root}",
    ]


@cache
def _table(source: str) -> dict[str, tuple[str, ...]]:
    """Stemmed words of ``source`` ("id" or "en") -> words of the other language.

    Indonesian: the stems of each root and of its derived words (``_affixed``); a stem some
    root has as its own keeps only that root's translations. English: each English word's stem
    -> the Indonesian roots. Derived words are not added that way round: many glossary words
    already carry affixes ("kebijakan"), and affixing them again made words that match nothing
    or, worse, other words ("menarik": "withdraw" and "interesting").
    """
    table: dict[str, list[str]] = {}
    derived: dict[str, list[str]] = {}
    for indonesian, english in GLOSSARY.items():
        own = set(tokenize(indonesian, "id")) or {indonesian}
        if source == "id":
            for stem in own:
                table.setdefault(stem, []).extend(english)
            for form in _affixed(indonesian):
                for stem in set(tokenize(form, "id")) - own:
                    derived.setdefault(stem, []).extend(english)
        else:
            for word in english:
                for stem in tokenize(word, "en"):
                    table.setdefault(stem, []).append(indonesian)
    for stem, words in derived.items():
        table.setdefault(stem, words)
    return {stem: tuple(dict.fromkeys(words)) for stem, words in table.items()}


def other_language(language: str) -> str:
    """The language a question's counterpart is written in: English for Indonesian, else
    Indonesian."""
    return "en" if language == "id" else "id"


def counterpart(question: str, language: str) -> str:
    """The question's words in the other language: each word the glossary knows in its
    translations, and its names, numbers and unknown capitalised words as they are.

    Returns ``""`` when the glossary knows none of the question's words (there is nothing to
    bridge). Word order is kept; the text is for word matching, not for reading.

    Example:
        >>> counterpart("Berapa lama WhatsApp menyimpan pesan yang tidak terkirim?", "id")
        'long period WhatsApp keep store retain message send deliver'
    """
    groups = _translations(question, language)
    if not any(known for known, _ in groups):
        return ""
    return " ".join(dict.fromkeys(word for _, words in groups for word in words))


def counterpart_groups(question: str, language: str) -> list[frozenset[str]]:
    """The counterpart's tokens grouped by the question word they translate: a passage says
    that word when it holds any token of its group.

    Word shares over the counterpart count groups, not tokens: "respond" translated as both
    "jawab" and "tanggap" is said by a passage with either, and a glossary with more
    synonyms must not make every passage look as if it missed words. ``[]`` when the
    counterpart is ``""``. Tokens are ``tokenize``'s, in the other language.

    Example:
        >>> counterpart_groups("Do you sell my data?", "en")
        [frozenset({'jual'}), frozenset({'data'})]
    """
    groups = _translations(question, language)
    if not any(known for known, _ in groups):
        return []
    target = other_language(language)
    tokens = [frozenset(tokenize(" ".join(words), target)) for _, words in groups]
    return list(dict.fromkeys(group for group in tokens if group))


def _translations(question: str, language: str) -> list[tuple[bool, list[str]]]:
    # Per question word that has a counterpart: whether the glossary knew it, and its words
    # in the other language (a name or number stands for itself).
    source = "id" if language == "id" else "en"
    table = _table(source)
    groups: list[tuple[bool, list[str]]] = []
    for index, raw in enumerate(re.findall(r"\w[\w-]*", question)):
        folded = raw.casefold()
        if folded in STOPWORDS:
            continue
        stems = tokenize(raw, source)
        found = [w for stem in stems for w in table.get(stem, ())]
        if found:
            groups.append((True, found))
        elif (
            _NUMBER.search(raw)
            or any(c.isupper() for c in raw[1:])
            or (index and raw[:1].isupper())
        ):
            # A name ("WhatsApp", "Signal") or a number is the same in both languages; a
            # capital on the first word only marks the sentence's start.
            groups.append((False, [raw]))
    return groups
