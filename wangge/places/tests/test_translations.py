"""The places' Chinese texts (zh.json, msgid → translation, to be merged into the catalogue)."""

import json
import re
from pathlib import Path

ZH = Path(__file__).resolve().parents[1] / "zh.json"
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")


def test_every_translation_keeps_its_placeholders_and_is_chinese():
    texts = json.loads(ZH.read_text(encoding="utf-8"))
    assert len(texts) > 100
    for msgid, text in texts.items():
        assert sorted(PLACEHOLDER.findall(msgid)) == sorted(PLACEHOLDER.findall(text)), msgid
        assert re.search(r"[\u4e00-\u9fff]", text), msgid
    assert texts["Report a problem here"] == "在此反映问题"
