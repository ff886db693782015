"""The portal's Chinese texts (zh.json, msgid → translation, to be merged into the catalog)."""

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
    for wanted in ("保存此链接", "已受理", "已办结", "您反映的问题已与同类问题合并处理"):
        assert wanted in texts.values()
