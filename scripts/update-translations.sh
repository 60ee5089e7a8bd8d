#!/usr/bin/env bash
# Extract every user-facing string (Python, templates, the field app's JavaScript) and merge
# it into the Danish and English catalogues.
# Then fill in the empty msgstr lines of outreach/translations/da/LC_MESSAGES/messages.po.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=.venv/bin
# -k t: the field app's t("...") (static/field/i18n.js); babel.cfg says which files are which.
$bin/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k lazy_ngettext:1,2 -k N_ -k t --no-location --sort-output \
  -o outreach/translations/messages.pot . >/dev/null 2>&1
$bin/pybabel update -i outreach/translations/messages.pot -d outreach/translations \
  --no-fuzzy-matching >/dev/null
missing=$(awk '/^msgid ""$/{next} /^msgid /{id=$0} /^msgstr ""$/{getline n; if (n !~ /^"/) print id}' \
  outreach/translations/da/LC_MESSAGES/messages.po | wc -l)
echo "Danish catalogue: $missing message(s) without a translation."
