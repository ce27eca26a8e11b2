"""The segmenter: search-mode tokens, normalisation, the user dictionary, one load per process."""

import threading

import pytest

from complaintdesk.search import segment
from complaintdesk.search.models import DictionaryWord
from complaintdesk.search.services.dictionary import dictionary_seed, dictionary_words


def test_search_mode_gives_the_parts_of_long_words():
    tokens = segment.search_tokens("质量问题，刹车异响！")
    assert {"质量", "问题", "刹车", "异响"} <= set(tokens)
    assert "，" not in tokens and "！" not in tokens


def test_normalised_full_width_case_and_punctuation():
    assert segment.search_tokens("ＩＰｈｏｎｅ-12 ＡＢＣ") == ["iphone", "12", "abc"]
    assert segment.search_tokens("") == []
    assert segment.search_tokens(None) == []
    assert segment.search_tokens("，。！？  \n") == []
    # underscores and dots split, as PostgreSQL's parser and FTS5's unicode61 split them
    assert segment.search_tokens("a_b 3.5") == ["a", "b", "3", "5"]


def test_overlong_runs_are_not_tokens():
    assert segment.search_tokens("x" * 65 + " 退款") == ["退款"]


def test_query_tokens_are_the_precise_cut_without_repeats():
    assert segment.query_tokens("退款 退款 质量") == ["退款", "质量"]
    assert segment.segmented("信号差") == "信号 差"


def test_one_tokenizer_for_all_threads():
    seen = []
    threads = [threading.Thread(target=lambda: seen.append(id(segment.tokenizer()))) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(seen)) == 1


@pytest.mark.django_db
def test_user_dictionary_keeps_words_whole_and_forgets_removed_ones():
    text = "订购了流量日包但没生效"
    assert "流量日包" not in segment.search_tokens(text)
    word = DictionaryWord.objects.create(word="流量日包")
    segment.user_words_changed()
    assert "流量日包" in segment.search_tokens(text)
    word.delete()
    segment.user_words_changed()
    assert "流量日包" not in segment.search_tokens(text)


@pytest.mark.django_db
def test_seed_takes_category_names_and_element_labels(org):
    added = dictionary_seed()
    words = dict(dictionary_words())
    assert added == len(words) > 0
    assert "计费账务" in words and "业务号码" in words
    DictionaryWord.objects.filter(word="计费账务").update(active=False)
    assert dictionary_seed() == 0  # idempotent, and a switched-off word stays off
    assert "计费账务" not in dict(dictionary_words())


@pytest.mark.django_db
def test_other_processes_see_an_edit_within_the_refresh_time(monkeypatch):
    text = "订购了流量日包但没生效"
    segment.set_user_words_loader(dictionary_words, refresh_seconds=0)  # every cut re-reads
    try:
        DictionaryWord.objects.create(word="流量日包")  # as if saved by another process
        assert "流量日包" in segment.search_tokens(text)
    finally:
        segment.set_user_words_loader(dictionary_words, refresh_seconds=float("inf"))
