"""Every main page, in each language, passes axe-core (no serious or critical violation:
labels, contrast, names, roles...), requests nothing outside the app, and its forms work from
the keyboard (the registration form is submitted with Tab + Enter, the portal's with Space);
the Chinese pages show no English sentence (a string left untranslated).

All pages of a language are checked in one walk and every violation is reported at once."""

import pytest
from browserwalk import MAIN_PAGES, deadline_policy, open_all_details, tickets_for_pages, walk


@pytest.fixture
def portal_settings(settings):
    settings.PORTAL_CHALLENGE_MIN_SECONDS = 0  # a test types faster than a person


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_main_pages_pass_axe(people, org, make_ticket, portal_settings, lang):
    deadline_policy()  # the ticket page and the lists then show deadlines too
    tickets = tickets_for_pages(org, make_ticket)
    problems: list[str] = []
    checked: list[str] = []

    def seen(name, person):
        if name == "ticket":  # every action's small form, not only the summaries
            open_all_details(person)
        problems.extend(person.axe_violations(name))
        if lang == "zh":  # complete in Chinese: no English sentence left on the page
            problems.extend(f"untranslated on {name} (zh): {phrase!r}"
                            for phrase in person.english_phrases())
        person.guard.check()
        checked.append(name)

    walk(people, lang, tickets, seen)
    assert checked == list(MAIN_PAGES)
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)
