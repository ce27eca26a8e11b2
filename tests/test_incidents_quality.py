"""Near-duplicate quality on real complaints: precision and recall of the suggestions on a
labelled sample of the car-complaint set (../shared/data/car_complaints_12365auto.csv, read
from there, never copied; the test skips where it is absent).

How the sample was drawn (seeded, reproducible): pairs of complaints about the same car model
(the `car_model` column), stratified by the character-bigram Jaccard similarity of their
texts — 50 pairs from [0.2, 0.35), 60 from [0.35, 0.5), 60 from [0.5, 0.7), 30 from
[0.7, 1) — plus 30 pairs of different models whose texts overlap by 0.45 or more; exact
copies left out. 230 pairs, 68 of them near-duplicates.

How it was labelled (by hand, reading each pair): a near-duplicate is a pair a handler would
put in one incident — the same car model and the same fault, i.e. the same part with the
same symptom, in other words or with another demand (希望厂家处理 / 与宣传不符 / 要求更换 do not
count); left or right side of the same part counts as the same (左前 / 右前 半轴防尘套漏油).
Not a near-duplicate: another model (even 高尔夫 vs 高尔夫嘉旅), another part or symptom, one of
the two naming a further fault the other does not (B柱异响 天窗异响 vs B柱异响), or a general
complaint against a specific one (车身异响 vs B柱异响). The fault codes of the set (`problem`)
were not used: identical texts carry different codes in it.

A pair counts as suggested when the two share an LSH band and their estimated similarity
reaches SIMILAR_AT — exactly what the lookup does (incidents/selectors.py).
"""

import csv
from pathlib import Path

import pytest

from complaintdesk.incidents import minhash

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "car_complaints_12365auto.csv"

# id_a:id_b:label (1 = near-duplicate), ids of the set's `id` column.
SAMPLE = """
481828:481657:0 514061:481339:0 568376:515003:0 514618:480987:0 568710:568649:0 514081:485759:0
568033:514338:0 481485:480976:0 481828:480869:0 570746:515592:0 568876:568384:0 514775:481454:0
485787:481908:0 514509:481319:0 481863:481595:0 481632:480829:1 567615:485863:0 514542:485863:0
486241:480989:0 481673:480958:0 568069:567889:0 568159:567902:0 481434:481139:0 568746:568585:0
514132:481424:0 568672:567889:0 567977:515234:0 514303:481076:0 570832:515305:0 481632:481236:0
568369:481272:0 513958:486191:0 481535:481076:0 486163:480829:0 515465:515011:0 568867:515054:0
514410:486037:0 515299:481195:0 515459:485943:0 481862:481534:1 515008:513960:0 567622:481204:0
481665:481184:0 514149:485937:0 568060:514191:0 514137:486241:0 481534:481048:1 567989:567889:0
567888:485943:0 514647:514420:0 480956:480806:0 515516:513841:0 515493:486386:0 481929:481354:0
568387:514462:0 568379:515056:0 570828:485790:0 481191:480938:0 567606:514984:0 481490:480938:0
568374:480933:0 480976:480879:0 481493:480972:0 481191:481154:0 567944:480827:0 481780:481264:1
568485:514647:1 481799:481396:0 568264:485793:0 568609:515157:0 480951:480879:0 515047:485851:0
568395:486339:0 481825:481106:0 568585:514826:0 568369:481121:1 481159:481048:1 481063:480956:0
481852:481656:0 485976:485890:1 481202:481159:1 480972:480885:0 481625:480981:0 570737:481051:0
481799:480941:0 481800:481754:0 570749:568200:0 481784:481714:0 481485:480919:0 485891:485778:0
481828:481823:0 481389:481028:0 480883:480813:1 481017:480941:0 515056:481544:0 481837:481434:0
568388:514303:0 480938:480849:0 481829:480806:0 481685:480806:1 568015:481908:0 481799:480951:0
481565:481386:0 480972:480938:0 515505:515146:0 481823:480951:0 481825:481714:0 481929:481595:0
570810:486246:0 481720:481695:1 570828:481210:1 481862:481800:1 481862:480829:1 481672:480911:1
481225:481202:1 485735:481389:0 568343:480814:1 485748:481759:0 481011:480810:1 568425:567626:1
481063:480938:0 514368:480933:0 570820:480922:1 481829:481493:0 485781:481482:0 481785:480849:0
481389:481145:0 482026:481828:0 481675:481225:1 481894:481106:0 568328:567615:0 481785:481028:0
481800:480857:1 570737:568440:1 481819:481416:0 481154:481028:0 481848:480919:0 481848:481759:0
568381:514372:1 480857:480828:1 481463:481130:0 481480:480829:1 568580:568369:1 568374:567743:0
568832:486279:0 481402:481202:1 481276:481212:1 515594:481988:0 568035:486009:0 485953:481907:0
568852:568002:1 568860:515157:0 481657:481354:0 514477:486030:1 481828:481031:0 480829:480810:1
481907:481607:1 482026:480938:0 514372:481670:1 481434:480951:0 485781:481379:0 481202:480857:1
568870:567802:0 568343:515254:1 480883:480856:0 482001:481571:1 513940:485946:0 481792:480824:1
481657:480824:1 514372:480953:1 481848:481490:0 570859:568589:1 481011:480829:1 485782:480813:0
515354:481614:1 481438:481190:1 481800:481011:1 481666:481665:1 481537:481154:1 568594:567741:1
568710:568343:1 514873:486049:1 568367:480900:1 481154:480972:1 515194:515040:1 570820:570771:1
570771:568369:1 481337:481011:1 515505:513920:1 570820:481614:1 568369:568321:1 568678:568378:1
570771:515354:1 482026:480879:0 481463:481279:1 514184:481670:1 481800:481675:1 486040:481510:1
568539:515058:1 570789:513850:1 570749:514420:0 568735:567776:0 515388:481356:0 567772:514420:0
515146:514222:0 568542:486222:0 515457:514447:0 570775:514420:0 514419:481630:0 570818:568735:0
515157:481957:0 486154:480994:0 567919:513872:0 515454:481423:0 568381:486227:0 515457:514494:0
514023:481108:0 482026:481482:0 514516:486385:0 485812:481546:0 514382:481025:0 515236:514420:0
486227:480953:0 568440:485823:0 486025:485747:0 568615:567703:0 568787:514167:0 568854:481051:0
568860:568178:0 567681:513996:0
"""


def _pairs():
    for item in SAMPLE.split():
        a, b, label = item.split(":")
        yield a, b, label == "1"


def measure() -> dict:
    texts = {}
    with DATA.open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            texts[row["id"]] = row["desc"]
    sigs = {}

    def sig(i):
        if i not in sigs:
            sigs[i] = minhash.signature(minhash.ticket_text(texts[i], ""))
        return sigs[i]

    tp = fp = fn = 0
    for a, b, label in _pairs():
        shared = set(minhash.band_keys(sig(a))) & set(minhash.band_keys(sig(b)))
        suggested = bool(shared) and minhash.similarity(sig(a), sig(b)) >= minhash.SIMILAR_AT
        tp += suggested and label
        fp += suggested and not label
        fn += label and not suggested
    return {"precision": tp / max(1, tp + fp), "recall": tp / max(1, tp + fn), "tp": tp, "fp": fp, "fn": fn}


@pytest.mark.skipif(not DATA.exists(), reason=f"the real complaint data is not here: {DATA}")
def test_near_duplicate_precision_and_recall_on_the_labelled_sample():
    m = measure()
    print(f"near-duplicates on the labelled sample: precision {m['precision']:.2f}, recall {m['recall']:.2f}", m)
    # The figures measured when the parameters were chosen (docs/architecture.md): a change of
    # shingles, bands or threshold that does worse fails here.
    assert m["recall"] >= 0.6
    assert m["precision"] >= 0.5
