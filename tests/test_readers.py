"""Dataset readers (arnews.data.readers): small fixtures in each real format, error
messages, Hydra configs, and the real shared copies when they are present.

The shared copies live in ../shared/datasets (override with ARNEWS_SHARED_DATASETS);
their tests are skipped when a folder is absent.
"""
from __future__ import annotations

import csv
import json
import logging
import os
import random
import zipfile
from collections import Counter
from pathlib import Path

import pytest
from omegaconf import OmegaConf

from conftest import compose_cfg

from arnews.components import build_reader
from arnews.data.leakage import find_cross_split_duplicates
from arnews.data.readers import READERS, get_reader
from arnews.data.readers.ans import read_ans
from arnews.data.readers.ant import read_ant
from arnews.data.readers.baly2018 import read_baly2018
from arnews.data.readers.hf import read_hf
from arnews.data.readers.mawqif import read_mawqif
from arnews.data.readers.saudinewsnet import read_saudinewsnet
from arnews.data.readers.table import read_table
from arnews.errors import ArnewsError

CONF = Path(__file__).resolve().parents[1] / "conf" / "data"
SHARED = Path(os.environ.get("ARNEWS_SHARED_DATASETS")
              or Path(__file__).resolve().parents[2] / "shared" / "datasets")


def shared(name: str) -> Path:
    folder = SHARED / name
    if not folder.is_dir():
        pytest.skip(f"shared dataset copy {folder} is absent")
    return folder


def ids(rows) -> set:
    return {r["id"] for r in rows}


def assert_disjoint(out: dict, key) -> None:
    """No value of ``key`` (an id or group) appears in two splits."""
    seen = {}
    for split, rows in out.items():
        for value in {key(r) for r in rows}:
            assert value not in seen, f"{value} in both {seen[value]} and {split}"
            seen[value] = split


def write_csv(path: Path, header, rows, bom=False, delimiter=","):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8-sig" if bom else "utf-8", newline="") as fh:
        writer = csv.writer(fh, delimiter=delimiter)
        writer.writerow(header)
        writer.writerows(rows)
    return path


BALY_CLAIMS = {"R-1": ["agree", "unrelated"], "R-2": ["Disagree", "discuss "],
               "V-3": ["unrelated"], "V-4": ["agree", "unrelated", "unrelated"],
               "R-5": ["discuss", "agree"]}


@pytest.fixture
def baly(tmp_path):
    root = tmp_path / "baly2018"
    (root / "dataset").mkdir(parents=True)
    for cid, stances in BALY_CLAIMS.items():
        record = {"id": cid, "claim": f"ادعاء عن الحرب رقم {cid}", "fact": "true",
                  "article": [f"نص المقال {k} عن الادعاء {cid}" for k in range(len(stances))],
                  "url": [f"http://example.com/{cid}/{k}" for k in range(len(stances))],
                  "stance": stances, "rationale": ["[1]"] * len(stances)}
        (root / "dataset" / f"{cid}.json").write_text(json.dumps(record, ensure_ascii=False),
                                                      encoding="utf-8")
    (root / "train_test_splits.txt").write_text(
        "Fold_1: R-1 R-2\nFold_2: V-3\nFold_3: V-4\nFold_4: R-5\n", encoding="utf-8")
    return root


def test_baly2018_splits_by_fold(baly):
    out = read_baly2018(str(baly))
    assert {s: {r["claim_id"] for r in rows} for s, rows in out.items()} == {
        "train": {"R-1", "R-2", "V-3"}, "dev": {"V-4"}, "test": {"R-5"}}
    assert [len(out[s]) for s in ("train", "dev", "test")] == [5, 3, 2]
    assert_disjoint(out, lambda r: r["claim_id"])
    row = out["train"][2]
    assert row["id"] == "R-2/0" and row["stance"] == "disagree"
    assert row["claim"] == "ادعاء عن الحرب رقم R-2" and row["text"] == "نص المقال 0 عن الادعاء R-2"
    assert row["_where"].endswith("R-2.json:article[0]")
    assert {r["stance"] for r in out["train"]} == {"agree", "unrelated", "disagree", "discuss"}


def test_baly2018_folds_are_configurable(baly):
    out = read_baly2018(str(baly), splits=("train", "dev", "test"), train_folds=[1, 2, 3],
                        dev_folds=[], test_folds=[4])
    assert sorted(out) == ["test", "train"]       # dev is left for the core to carve
    assert {r["claim_id"] for r in out["train"]} == {"R-1", "R-2", "V-3", "V-4"}
    assert list(read_baly2018(str(baly), splits=("test",))) == ["test"]


def test_baly2018_errors_name_the_file(baly):
    record = json.loads((baly / "dataset" / "R-2.json").read_text(encoding="utf-8"))
    record["stance"][1] = "supports"
    (baly / "dataset" / "R-2.json").write_text(json.dumps(record), encoding="utf-8")
    with pytest.raises(ArnewsError, match=r"R-2\.json: stance\[1\] is 'supports'"):
        read_baly2018(str(baly))
    with pytest.raises(ArnewsError, match=r"train_test_splits\.txt: there is no fold 7"):
        read_baly2018(str(baly), test_folds=[7])
    with pytest.raises(ArnewsError, match="fold 1 is in both train_folds and test_folds"):
        read_baly2018(str(baly), test_folds=[1])
    (baly / "dataset" / "V-4.json").unlink()
    with pytest.raises(ArnewsError, match=r"V-4\.json: file not found"):
        read_baly2018(str(baly), splits=("dev",))
    with pytest.raises(ArnewsError, match="no such folder"):
        read_baly2018(str(baly / "nowhere"))


@pytest.fixture
def ans(tmp_path):
    root = tmp_path / "ans"
    write_csv(root / "stance" / "train.csv", ["s1", "s2", "stance"], [
        ["ارتفاع أسعار النفط", "النفط يرتفع عالميا", "agree"],
        ["ارتفاع اسعار النفط", "انخفاض النفط", "disagree"],    # same claim, no hamza
        ["فوز المنتخب", "سطر أول\nسطر ثان", "other"],           # a quoted two-line cell
        ["فوز المنتخب", "خسارة المنتخب", "Disagree"]])
    write_csv(root / "stance" / "test.csv", ["s1", "s2", "stance"],
              [["افتتاح معرض الكتاب", "معرض الكتاب يفتح أبوابه", "agree"]])
    return root


def test_ans_rows_labels_and_claim_groups(ans):
    out = read_ans(str(ans))
    assert sorted(out) == ["test", "train"]       # no dev.csv here: left to the core
    train = out["train"]
    assert [r["stance"] for r in train] == ["agree", "disagree", "other", "disagree"]
    assert train[0]["claim"] == "ارتفاع أسعار النفط" and train[0]["text"] == "النفط يرتفع عالميا"
    assert train[0]["claim_id"] == train[1]["claim_id"] != train[2]["claim_id"]
    assert train[2]["claim_id"] == train[3]["claim_id"]
    # the two-line cell starts on line 4, so the next record starts on line 6
    assert train[2]["_where"].endswith("train.csv:4") and train[3]["_where"].endswith("train.csv:6")
    assert len(ids(train) | ids(out["test"])) == 5
    # the stance folder itself works as data.path too
    assert len(read_ans(str(ans / "stance"), splits=("test",))["test"]) == 1


def test_ans_numeric_codes_need_a_label_map(ans):
    write_csv(ans / "stance" / "dev.csv", ["s1", "s2", "stance"],
              [["خبر", "خبر آخر", "0"], ["خبر", "نفي الخبر", "1"], ["خبر", "شيء آخر", "2"]])
    with pytest.raises(ArnewsError, match=r"dev\.csv:2: stance '0' is not one of"):
        read_ans(str(ans), splits=("dev",))
    out = read_ans(str(ans), splits=("dev",), label_map={0: "agree", 1: "disagree", 2: "other"})
    assert [r["stance"] for r in out["dev"]] == ["agree", "disagree", "other"]


def test_ans_missing_column_names_the_file(ans):
    write_csv(ans / "stance" / "test.csv", ["s1", "text", "stance"], [["a", "b", "agree"]])
    with pytest.raises(ArnewsError, match=r"test\.csv:1: missing column\(s\) s2"):
        read_ans(str(ans))


MAWQIF_HEADER = ["ID", "text", "target", "stance", "stance:confidence", "sarcasm", "sentiment"]
TARGETS = ["Covid Vaccine", "Digital Transformation", "Women empowerment"]


@pytest.fixture
def mawqif(tmp_path):
    rows, n = [], 0
    for target in TARGETS:
        for stance in ("Favor", "Against", "None"):
            for k in range(10):
                n += 1
                rows.append([n, f"تغريدة رقم {n} عن {target} وموقف {stance} {k}", target,
                             stance, "0.9", "No", "Neutral"])
    # the same tweet twice under two IDs: the copies must share a split
    rows.append([900, rows[0][1], TARGETS[0], "Favor", "1", "No", "Neutral"])
    write_csv(tmp_path / "mawqif" / "Mawqif_AllTargets_Train.csv", MAWQIF_HEADER, rows, bom=True)
    return tmp_path / "mawqif"


def test_mawqif_labels_and_reproducible_stratified_split(mawqif):
    out = read_mawqif(str(mawqif), dev_fraction=0.1, test_fraction=0.2, seed=1)
    every = [r for rows in out.values() for r in rows]
    assert len(every) == 91 and len(ids(every)) == 91
    assert Counter(r["stance"] for r in every) == {"favor": 31, "against": 30, "none": 30}
    assert_disjoint(out, lambda r: r["id"])
    # each (target, stance) stratum of 10 tweets gives 2 to test and 1 to dev; Covid/favor
    # has 10 groups too, but one of them is the two copies of one tweet
    test = Counter((r["target"], r["stance"]) for r in out["test"])
    assert test.pop(("Covid Vaccine", "favor")) in (2, 3)
    assert test == {(t, s): 2 for t in TARGETS for s in ("favor", "against", "none")
                    if (t, s) != ("Covid Vaccine", "favor")}
    assert len(out["dev"]) in (9, 10)
    row = out["train"][0]
    assert row["claim_id"] == row["id"] and row["target"] in TARGETS and "claim" not in row
    split_of = {r["id"]: s for s, rows in out.items() for r in rows}
    assert split_of["mawqif-1"] == split_of["mawqif-900"]
    again = read_mawqif(str(mawqif), dev_fraction=0.1, test_fraction=0.2, seed=1)
    assert {s: ids(v) for s, v in again.items()} == {s: ids(v) for s, v in out.items()}
    other = read_mawqif(str(mawqif), dev_fraction=0.1, test_fraction=0.2, seed=2)
    assert ids(other["test"]) != ids(out["test"])


def test_mawqif_errors_name_the_file(mawqif):
    file = mawqif / "Mawqif_AllTargets_Train.csv"
    write_csv(file, ["ID", "text", "target"], [[1, "نص", "Covid Vaccine"]], bom=True)
    with pytest.raises(ArnewsError, match=r"Train\.csv:1: missing column\(s\) stance"):
        read_mawqif(str(mawqif))
    write_csv(file, MAWQIF_HEADER, [[1, "نص", "Covid Vaccine", "Neutral", "1", "No", "x"]])
    with pytest.raises(ArnewsError, match=r"Mawqif_AllTargets_Train\.csv:2: stance 'Neutral'"):
        read_mawqif(str(file))


def ant_doc(docno, cat, title, text, with_cat=True):
    cat_tag = f"<CAT>{cat}</CAT>\n" if with_cat else ""
    return (f"<DOC>\n<DOCNO>{docno}</DOCNO>\n<URL>http://www.jawharafm.net/ar/{docno}</URL> \n"
            f"<SRC>Jawhara FM</SRC>\n{cat_tag}<TITLE>{title}</TITLE>\n"
            f"<TIME>2017-01-21T13:34:00+01:00</TIME>\n<ABSTRACT>\n{text[:20]}\n</ABSTRACT>\n"
            f"<TEXT>\n{text}\n</TEXT>\n</DOC>")


_RNG = random.Random(0)
ANT_WORDS = ["".join(_RNG.choice("ابتجحدرسشصعفقكلمنهوي") for _ in range(_RNG.randint(3, 7)))
             for _ in range(400)]


def ant_text(seed: int, n_words: int = 40) -> str:
    """A distinct text: random texts over 400 words are far from near copies."""
    return " ".join(random.Random(seed).sample(ANT_WORDS, n_words))


@pytest.fixture
def ant(tmp_path):
    root = tmp_path / "ant_v1"
    copied = ant_text(99, 80) + " & عروض جديدة في تونس"      # a raw '&' as in the real files
    edited = copied.replace("عروض", "سهرات")               # a near copy
    docs = {"sport": [copied] + [ant_text(i) for i in range(1, 6)],
            "economy": [edited] + [ant_text(i) for i in range(11, 16)],
            "culture": [copied, f"{copied} ", ant_text(21)]}
    for cat, texts in docs.items():
        (root / cat).mkdir(parents=True)
        for i, text in enumerate(texts):
            (root / cat / f"JA-{cat}-{i}-20170121.txt").write_text(
                ant_doc(f"JA-{cat}-{i}-20170121", cat, f"عنوان {cat} {i}", text), encoding="utf-8")
    (root / "politic").mkdir()
    (root / "politic" / "JA-politic-92-20170201.txt").write_text(
        ant_doc("92", "", "محسن مرزوق", "موعد الإعلان عن البديل السياسي", with_cat=False),
        encoding="utf-8")
    (root / "politic" / "JA-politic-93-20170201.txt").write_text(
        ant_doc("93", "politic", "فارغ", "   "), encoding="utf-8")
    return root


def test_ant_parses_leniently_and_skips_empty_texts(ant, caplog):
    with caplog.at_level(logging.WARNING):
        out = read_ant(str(ant), dev_fraction=0.2, test_fraction=0.2, seed=0)
    every = {r["id"]: r for rows in out.values() for r in rows}
    assert len(every) == 16                       # 17 files, one with an empty text
    assert "skipped 1 documents with an empty <TEXT>" in caplog.text
    assert every["ant-JA-politic-92-20170201"]["topic"] == "politic"   # no CAT: the folder
    assert every["ant-JA-sport-1-20170121"]["topic"] == "sport"
    assert every["ant-JA-culture-0-20170121"]["text"].endswith("& عروض جديدة في تونس")
    assert every["ant-JA-economy-2-20170121"]["title"] == "عنوان economy 2"
    assert Counter(r["topic"] for r in every.values()) == {"sport": 6, "economy": 6,
                                                           "culture": 3, "politic": 1}


def test_ant_copies_never_cross_splits(ant):
    copies = {"ant-JA-sport-0-20170121", "ant-JA-culture-0-20170121",
              "ant-JA-culture-1-20170121", "ant-JA-economy-0-20170121"}
    seen_splits = set()
    for seed in range(12):
        out = read_ant(str(ant), dev_fraction=0.2, test_fraction=0.3, seed=seed)
        holding = {s for s, rows in out.items() if ids(rows) & copies}
        assert len(holding) == 1, f"seed {seed}: copies in {holding}"
        seen_splits |= holding
        assert not find_cross_split_duplicates(out).leaks
    assert len(seen_splits) > 1    # the copies do move between seeds, always together
    # grouping exact copies only lets the edited copy drift away for some seed
    exact_only = [read_ant(str(ant), dev_fraction=0.2, test_fraction=0.3, seed=seed,
                           near_threshold=None) for seed in range(12)]
    assert any(len({s for s, rows in out.items() if ids(rows) & copies}) > 1
               for out in exact_only)
    first = read_ant(str(ant), seed=5)
    assert {s: ids(v) for s, v in read_ant(str(ant), seed=5).items()} == \
        {s: ids(v) for s, v in first.items()}


def test_ant_keeps_only_the_named_categories_before_splitting(ant):
    out = read_ant(str(ant), dev_fraction=0.2, test_fraction=0.2, seed=0,
                   categories=["sport", "economy"])
    every = [r for rows in out.values() for r in rows]
    assert Counter(r["topic"] for r in every) == {"sport": 6, "economy": 6}
    # the split is stratified over the kept topics: each one reaches test
    assert {r["topic"] for r in out["test"]} == {"sport", "economy"}
    with pytest.raises(ArnewsError, match=r"categories names \['sports'\].*'culture', 'economy'"):
        read_ant(str(ant), categories=["sport", "sports"])
    only_sport = read_ant(str(ant), dev_fraction=0.2, test_fraction=0.2, seed=0, categories="sport")
    assert {r["topic"] for rows in only_sport.values() for r in rows} == {"sport"}
    with pytest.raises(ArnewsError, match="categories is empty"):
        read_ant(str(ant), categories=[])


def test_ant_error_names_the_folder(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(ArnewsError, match=r"empty: no <category>/<doc>\.txt files"):
        read_ant(str(tmp_path / "empty"))


def snn_article(url, title, content):
    return {"source": "sabq", "url": url, "date_extracted": "2015-07-21 02:51:32",
            "title": title, "author": "", "content": content}


@pytest.fixture
def snn(tmp_path):
    root = tmp_path / "saudinewsnet"
    root.mkdir()
    day1 = [snn_article("http://sabq.org/1", "عنوان أول", "محتوى الخبر الأول"),
            snn_article("http://sabq.org/2", "", "محتوى الخبر الثاني"),
            snn_article("http://sabq.org/3", "فارغ", "  ")]
    (root / "2015-07-21.json").write_text(json.dumps(day1, ensure_ascii=False), encoding="utf-8")
    day2 = [snn_article("http://sabq.org/1", "مكرر", "نسخة مكررة"),
            snn_article("http://okaz.com.sa/9", "عكاظ", "خبر من عكاظ")]
    with zipfile.ZipFile(root / "2015-07-22.zip", "w") as archive:
        archive.writestr("2015-07-22.json", json.dumps(day2, ensure_ascii=False))
    return root


def test_saudinewsnet_unlabelled_train_only(snn, caplog):
    with caplog.at_level(logging.WARNING):
        out = read_saudinewsnet(str(snn))
    assert list(out) == ["train"]
    train = out["train"]
    assert [r["text"] for r in train] == ["محتوى الخبر الأول", "محتوى الخبر الثاني", "خبر من عكاظ"]
    assert set(train[0]) == {"id", "title", "text", "_where"}
    assert len(ids(train)) == 3 and train[0]["id"].startswith("snn-")
    assert train[0]["id"] == read_saudinewsnet(str(snn))["train"][0]["id"]   # stable
    assert train[2]["_where"].endswith("2015-07-22.zip:[1]")
    assert "1 articles with empty content and 1 repeated URLs" in caplog.text
    assert read_saudinewsnet(str(snn), splits=("test",)) == {}


def test_saudinewsnet_bad_json_names_the_file(snn):
    (snn / "2015-07-23.json").write_text('[{"url": "x", "content": "a"},', encoding="utf-8")
    with pytest.raises(ArnewsError, match=r"2015-07-23\.json:1: not valid JSON"):
        read_saudinewsnet(str(snn))


@pytest.fixture
def hf_topic(tmp_path):
    from datasets import ClassLabel, Dataset, DatasetDict, Features, Value

    features = Features({"content": Value("string"), "headline": Value("string"),
                         "label": ClassLabel(names=["sport", "economy", "culture"])})
    def part(n, offset):
        return Dataset.from_dict({"content": [f"نص الخبر {offset + i}" for i in range(n)],
                                  "headline": [f"عنوان {offset + i}" for i in range(n)],
                                  "label": [i % 3 for i in range(n)]}, features=features)
    DatasetDict({"train": part(6, 0), "validation": part(3, 100), "test": part(3, 200)}
                ).save_to_disk(str(tmp_path / "hf_topic"))
    return tmp_path / "hf_topic"


def test_hf_local_saved_dataset_with_class_labels(hf_topic):
    out = read_hf(str(hf_topic), columns={"text": "content", "title": "headline", "topic": "label"})
    assert [len(out[s]) for s in ("train", "dev", "test")] == [6, 3, 3]
    first = out["train"][0]
    assert first == {"text": "نص الخبر 0", "title": "عنوان 0", "topic": "sport",
                     "id": "train-0", "_where": f"{hf_topic}[train]:0"}
    assert [r["topic"] for r in out["dev"]] == ["sport", "economy", "culture"]
    renamed = read_hf(None, dataset=str(hf_topic), columns={"text": "content", "topic": "label"},
                      label_names={0: "رياضة", 1: "اقتصاد", 2: "ثقافة"})
    assert renamed["test"][1]["topic"] == "اقتصاد"


def test_hf_split_map_and_errors(hf_topic, monkeypatch):
    cols = {"text": "content", "topic": "label"}
    out = read_hf(str(hf_topic), columns=cols, split_map={"dev": "no_such_split"})
    assert sorted(out) == ["test", "train"]       # a missing dev is left to the core
    with pytest.raises(ArnewsError, match=r"no split 'heldout' for test.*split_map\.test"):
        read_hf(str(hf_topic), columns=cols, split_map={"test": "heldout"})
    with pytest.raises(ArnewsError, match=r"hf_topic\[train\]: no column 'body' for field 'text'"):
        read_hf(str(hf_topic), columns={"text": "body"})
    import datasets

    def offline(*args, **kwargs):
        raise ConnectionError("Couldn't reach 'someone/arabic-news' on the Hub")
    monkeypatch.setattr(datasets, "load_dataset", offline)
    with pytest.raises(ArnewsError, match=r"'someone/arabic-news'.*save_to_disk"):
        read_hf("someone/arabic-news")


def test_hf_stance_dataset_groups_by_claim(tmp_path):
    from datasets import Dataset

    data = {"claim": ["ادعاء أ", "ادعاء أ", "ادعاء ب"], "text": ["مقال 1", "مقال 2", "مقال 3"],
            "stance": ["agree", "discuss", "unrelated"]}
    Dataset.from_dict(data).save_to_disk(str(tmp_path / "st"))
    train = read_hf(str(tmp_path / "st"), splits=("train",))["train"]
    assert [r["stance"] for r in train] == ["agree", "discuss", "unrelated"]
    assert train[0]["claim_id"] == train[1]["claim_id"] != train[2]["claim_id"]


@pytest.fixture
def table(tmp_path):
    root = tmp_path / "table"
    write_csv(root / "train.tsv", ["uid", "body", "labels"],
              [["a1", "نص أول", "arms_control|regional_conflicts"], ["a2", "نص ثان", ""],
               ["a3", "نص ثالث", "cybersecurity"]], delimiter="\t")
    (root / "test.jsonl").write_text(
        json.dumps({"uid": "b1", "body": "نص اختبار", "labels": ["cybersecurity"]},
                   ensure_ascii=False) + "\n", encoding="utf-8")
    return root


def test_table_files_and_multilabel_topics(table):
    out = read_table(str(table), train="train.tsv", dev=None, test="test.jsonl",
                     columns={"id": "uid", "text": "body", "topics": "labels"})
    assert sorted(out) == ["test", "train"]
    assert out["train"][0] == {"id": "a1", "text": "نص أول",
                               "topics": ["arms_control", "regional_conflicts"],
                               "_where": f"{table / 'train.tsv'}:2"}
    assert out["train"][1]["topics"] == []
    assert out["test"][0]["topics"] == ["cybersecurity"]
    assert out["test"][0]["_where"].endswith("test.jsonl:1")


def test_table_keeps_none_labels_and_decodes_codes(tmp_path):
    write_csv(tmp_path / "train.csv", ["target", "text", "stance"],
              [["اللقاح", "تغريدة", "None"], ["اللقاح", "تغريدة أخرى", "Favor"]])
    write_csv(tmp_path / "test.csv", ["text", "topic"], [["خبر", "1"]])
    train = read_table(str(tmp_path), splits=("train",))["train"]
    assert [r["stance"] for r in train] == ["None", "Favor"]
    assert train[0]["claim_id"] == "اللقاح"            # target stance: the target is the group
    test = read_table(str(tmp_path), splits=("test",), label_names=["sport", "economy"])["test"]
    assert test[0]["topic"] == "economy"


def test_table_parquet_and_explicit_label_column(tmp_path):
    import pandas as pd

    pd.DataFrame({"text": ["أ", "ب"], "topics": [["x", "y"], []], "topic": [1, 0]}
                 ).to_parquet(tmp_path / "train.parquet")
    multi = read_table(str(tmp_path), splits=("train",), train="train.parquet",
                       columns={"topics": "topics"})["train"]
    assert [r["topics"] for r in multi] == [["x", "y"], []] and "topic" not in multi[0]
    single = read_table(str(tmp_path), splits=("train",), train="train.parquet",
                        columns={"topic": "topic"}, label_names=["neg", "pos"])["train"]
    assert [r["topic"] for r in single] == ["pos", "neg"] and "topics" not in single[0]


def test_table_errors_name_the_file(table):
    with pytest.raises(ArnewsError, match=r"train\.csv: file not found; set data\.reader\.train"):
        read_table(str(table))
    with pytest.raises(ArnewsError, match=r"train\.tsv: no 'text' column"):
        read_table(str(table), train="train.tsv", test="test.jsonl")


FIXTURE_OF = {"baly2018": "baly", "ans": "ans", "mawqif": "mawqif", "ant": "ant",
              "saudinewsnet": "snn", "hf": "hf_topic", "table": "table"}


@pytest.mark.parametrize("name", READERS)
def test_hydra_config_instantiates_the_reader(name, request):
    raw = OmegaConf.load(CONF / f"{name}.yaml")
    assert raw.name == name and OmegaConf.is_missing(raw, "path")
    assert raw.reader._target_ == f"arnews.data.readers.{name}.read_{name}"
    assert get_reader(name).__name__ == f"read_{name}"
    overrides = [f"data={name}", f"data.path={request.getfixturevalue(FIXTURE_OF[name])}"]
    if name == "hf":
        overrides.append("data.reader.columns={text: content, topic: label}")
    if name == "table":
        overrides += ["data.reader.train=train.tsv", "data.reader.test=test.jsonl",
                      "data.reader.columns={text: body, topics: labels}"]
    data = compose_cfg("train", overrides).data
    out = build_reader(data)(splits=("train", "dev", "test"))
    assert out["train"] and all("_where" in r for rows in out.values() for r in rows)


@pytest.mark.slow
def test_shared_baly2018():
    out = read_baly2018(str(shared("baly2018")))
    assert {s: len(v) for s, v in out.items()} == {"train": 1250, "dev": 592, "test": 587}
    assert_disjoint(out, lambda r: r["claim_id"])
    counts = Counter(r["stance"] for rows in out.values() for r in rows)
    assert counts == {"unrelated": 1664, "agree": 364, "discuss": 339, "disagree": 62}


@pytest.mark.slow
def test_shared_ans():
    out = read_ans(str(shared("ans")))
    assert {s: len(v) for s, v in out.items()} == {"train": 2652, "dev": 755, "test": 379}
    assert Counter(r["stance"] for r in out["train"]) == {"disagree": 1686, "agree": 903,
                                                          "other": 63}


@pytest.mark.slow
def test_shared_mawqif():
    out = read_mawqif(str(shared("mawqif")))
    every = [r for rows in out.values() for r in rows]
    assert len(every) == 3502
    assert Counter(r["stance"] for r in every) == {"favor": 2148, "against": 1021, "none": 333}
    assert len({r["target"] for r in every}) == 3
    assert len(out["test"]) == pytest.approx(700, abs=10)
    assert not find_cross_split_duplicates(out).leaks


@pytest.mark.slow
def test_shared_ant():
    out = read_ant(str(shared("ant_v1")))
    every = [r for rows in out.values() for r in rows]
    assert len(every) == 10161 - 23 and len(ids(every)) == len(every)
    assert len({r["topic"] for r in every}) == 9
    assert len(out["test"]) == pytest.approx(0.2 * len(every), rel=0.05)
    assert not find_cross_split_duplicates(out).leaks


@pytest.mark.slow
def test_shared_saudinewsnet():
    out = read_saudinewsnet(str(shared("saudinewsnet")))
    assert list(out) == ["train"]
    assert len(out["train"]) == 8409 - 128 and len(ids(out["train"])) == len(out["train"])
