"""Acronyms: the field's everyday abbreviations, and the ones a corpus defines, both ways.

A question asking about "GDPR" must reach a policy that only writes "General Data Protection
Regulation", and "data protection officer" a policy that only writes "DPO". The glossary holds
privacy law's common acronyms (chosen from the field, not from any question set); a corpus
adds its own wherever it writes "Long Form (LF)" or "LF (Long Form)".
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# Privacy law's everyday acronyms (EU, US, UK, Brazil, Canada, Indonesia) and their long forms,
# and the security ones policies use.
FIELD_ACRONYMS: dict[str, str] = {
    "GDPR": "General Data Protection Regulation",
    "CCPA": "California Consumer Privacy Act",
    "CPRA": "California Privacy Rights Act",
    "COPPA": "Children's Online Privacy Protection Act",
    "HIPAA": "Health Insurance Portability and Accountability Act",
    "LGPD": "Lei Geral de Proteção de Dados",
    "PIPEDA": "Personal Information Protection and Electronic Documents Act",
    "UU PDP": "Undang-Undang Pelindungan Data Pribadi",
    "EEA": "European Economic Area",
    "EU": "European Union",
    "SCCs": "standard contractual clauses",
    "SCC": "standard contractual clauses",
    "DPO": "data protection officer",
    "DPA": "data protection authority",
    "DSAR": "data subject access request",
    "PII": "personally identifiable information",
    "E2EE": "end-to-end encryption",
    # Security words policies use as often abbreviated as not.
    "TLS": "Transport Layer Security",
    "SSL": "Secure Sockets Layer",
    "2FA": "two-factor authentication",
    "MFA": "multi-factor authentication",
    "DPIA": "data protection impact assessment",
}
_LONG_THEN_SHORT = re.compile(
    r"((?:[A-Z][\w'-]+[ -](?:(?:of|for|and|on|de|dan)[ -])?){1,7})\(([A-Z]{2,8}s?)\)"
)
_SHORT_THEN_LONG = re.compile(
    r"\b([A-Z]{2,8}s?) \(((?:[A-Z][\w'-]+ ?(?:(?:of|for|and|on) )?){2,7})\)"
)


def _initials(words: str) -> str:
    return "".join(w[0] for w in re.findall(r"[\w']+", words) if w[0].isupper()).casefold()


def defined_acronyms(texts: Iterable[str]) -> dict[str, str]:
    """Acronyms the texts define in parentheses, whose letters are the long form's initials.

    Example:
        >>> defined_acronyms(["Contact our Data Protection Officer (DPO) today."])
        {'DPO': 'Data Protection Officer'}
    """
    found: dict[str, str] = {}
    for text in texts:
        for long, short in _LONG_THEN_SHORT.findall(text):
            long = long.strip()
            words = long.split()
            # Keep only as many trailing words as the acronym has capital initials.
            for size in range(len(words), 0, -1):
                candidate = " ".join(words[-size:])
                if _initials(candidate) == short.rstrip("s").casefold():
                    found.setdefault(short, candidate)
                    break
        for short, long in _SHORT_THEN_LONG.findall(text):
            if _initials(long) == short.rstrip("s").casefold():
                found.setdefault(short, long.strip())
    return found


def expansions(question: str, glossary: dict[str, str]) -> list[str]:
    """The other form of every acronym or long form ``question`` uses, per ``glossary``.

    Example:
        >>> expansions("Do you transfer data outside the EEA?", FIELD_ACRONYMS)
        ['European Economic Area']
        >>> expansions("How do I reach your data protection officer?", FIELD_ACRONYMS)
        ['DPO']
    """
    folded = question.casefold()
    words = set(re.findall(r"\w+", folded))
    found: list[str] = []
    for short, long in glossary.items():
        short_words = short.casefold().split()
        if all(w in words for w in short_words) and short.casefold() in folded:
            found.append(long)
        elif long.casefold() in folded:
            found.append(short)
    return list(dict.fromkeys(found))


def other_forms(question: str, glossary: dict[str, str]) -> str:
    """``question`` with every acronym it uses written out and every long form abbreviated,
    per ``glossary``; ``question`` itself when it uses none.

    A passage saying "We share PII with ..." is far, for the embedding model, from "Who do
    you share my personally identifiable information with?": the question in the other form
    is near it. Acronyms are matched as written ("us" in "contact us" is no "US"), long forms
    in any case.

    Example:
        >>> other_forms("Do you transfer data outside the EEA?", FIELD_ACRONYMS)
        'Do you transfer data outside the European Economic Area?'
        >>> other_forms("Who gets my personally identifiable information?", FIELD_ACRONYMS)
        'Who gets my PII?'
    """
    if not glossary:
        return question
    shorts = [re.escape(short) for short in glossary]
    longs = [f"(?i:{re.escape(long)})" for long in glossary.values()]
    # Longest forms first, and one pass over the question, so that a form written in is not
    # rewritten back ("SCCs" -> "standard contractual clauses" -> "SCC").
    alternatives = sorted([*shorts, *longs], key=len, reverse=True)
    pattern = re.compile(rf"(?<!\w)(?:{'|'.join(alternatives)})(?!\w)")
    other = dict(glossary)
    for short, long in glossary.items():
        other.setdefault(long.casefold(), short)

    def swap(match: re.Match[str]) -> str:
        found = match.group(0)
        return other.get(found) or other.get(found.casefold(), found)

    return pattern.sub(swap, question)
