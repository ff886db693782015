"""The profiles pages' Chinese texts (zh.json, msgid → translation, to be merged into the
catalog)."""

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")
TEMPLATE_MSGID = re.compile(r"""\{% translate ["']([^"']+)["']""")


def test_translations_keep_placeholders_and_cover_the_templates():
    texts = json.loads((ROOT / "zh.json").read_text(encoding="utf-8"))
    for msgid, text in texts.items():
        assert sorted(PLACEHOLDER.findall(msgid)) == sorted(PLACEHOLDER.findall(text)), msgid
        assert re.search(r"[\u4e00-\u9fff]", text), msgid
    templates = ROOT.parents[0] / "templates" / "profiles"
    for path in templates.glob("*.html"):
        for msgid in TEMPLATE_MSGID.findall(path.read_text(encoding="utf-8")):
            assert msgid in texts, (path.name, msgid)


BLOCK_MSGID = re.compile(r"\{% blocktranslate[^%]*%\}(.*?)\{% endblocktranslate")


def test_blocktranslate_texts_are_covered():
    texts = json.loads((ROOT / "zh.json").read_text(encoding="utf-8"))
    for path in (ROOT.parents[0] / "templates" / "profiles").glob("*.html"):
        for msgid in BLOCK_MSGID.findall(path.read_text(encoding="utf-8")):
            assert re.sub(r"\{\{ (\w+) \}\}", r"%(\1)s", msgid) in texts, msgid
