"""Documents the web tests serve (API and browser): small, written for the tests."""

CONTACTS_SENTENCE = "WhatsApp does not share your contact list with Facebook."

WHATSAPP_CONTACTS = f"""---
title: WhatsApp and your contacts
publisher: WhatsApp LLC
kind: statement
language: en
document_date: 2021-01-12
url: https://www.whatsapp.com/contacts-statement
---

# Contacts

{CONTACTS_SENTENCE} When you give us permission, we access only the phone numbers in your
address book to deliver your messages.

We do not keep logs of who everyone is messaging or calling.
"""

SIGNAL_POLICY = """---
title: Signal Privacy Policy
publisher: Signal Messenger LLC
kind: policy
language: en
document_date: 2020-12-01
url: https://signal.org/legal/
---

# What Signal stores

Signal stores only your phone number, the date you registered, and the last day you connected
to the service. Messages are end-to-end encrypted and Signal cannot read them.
"""

WEB_DOCS = {"whatsapp-contacts.md": WHATSAPP_CONTACTS, "signal-policy.md": SIGNAL_POLICY}
