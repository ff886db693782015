"""Merge the per-app translation files (wangge/<app>/zh.json: msgid → Chinese) into the
zh_Hans catalogue, after `makemessages`. Entries already translated in the catalogue are kept
unless --overwrite. Needs polib (pip install polib; a development tool, not a dependency)."""

import json
import sys
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "wangge" / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def main(overwrite: bool = False) -> None:
    table: dict[str, str] = {}
    for path in sorted(ROOT.glob("wangge/*/zh.json")):
        table.update(json.loads(path.read_text(encoding="utf-8")))
    po = polib.pofile(str(PO))
    filled = 0
    for entry in po:
        value = table.get(entry.msgid)
        if value is None:
            continue
        if entry.msgid_plural:
            if overwrite or not entry.msgstr_plural.get(0) or "fuzzy" in entry.flags:
                entry.msgstr_plural = {0: value}
                filled += 1
        elif overwrite or not entry.msgstr or "fuzzy" in entry.flags:
            entry.msgstr = value
            filled += 1
        if "fuzzy" in entry.flags:
            entry.flags.remove("fuzzy")
    po.save()
    missing = [e.msgid for e in po if not (e.msgstr or any(e.msgstr_plural.values()))]
    fuzzy = [e.msgid for e in po.fuzzy_entries()]
    print(f"filled {filled}; still untranslated: {len(missing)}; fuzzy (ignored by the "
          f"compiler, translate them): {len(fuzzy)}")
    for msgid in fuzzy:
        print("  fuzzy:", msgid[:100])
    for msgid in missing:
        print("  ", msgid[:100])


if __name__ == "__main__":
    main("--overwrite" in sys.argv)
