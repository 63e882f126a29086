"""Tests of itp_stats.cohort.participants: the study's noun for its participants."""

from __future__ import annotations

from pathlib import Path

import pytest

from itp_stats.cohort.participants import DEFAULT_PARTICIPANTS, Participants, read_participants
from itp_stats.errors import StudyConfigError

STUDY = Path("my_study.yaml")


def test_absent_key_means_patients():
    who = read_participants(STUDY, None)
    assert who == DEFAULT_PARTICIPANTS == Participants("patient", "patients")
    assert (who.count(1), who.count(0), who.count(72)) == ("1 patient", "0 patients", "72 patients")
    assert (who.plural_cap, who.singular_cap) == ("Patients", "Patient")


def test_a_plural_gives_its_singular_by_dropping_the_s():
    assert read_participants(STUDY, "participants") == Participants("participant", "participants")
    assert read_participants(STUDY, "  study  subjects ") == Participants(
        "study subject", "study subjects"
    )


def test_mapping_gives_both_forms_or_one_and_the_rule():
    people = read_participants(STUDY, {"singular": "person", "plural": "people"})
    assert (people.count(1), people.count(3), people.plural_cap) == (
        "1 person",
        "3 people",
        "People",
    )
    assert read_participants(STUDY, {"singular": "donor"}) == Participants("donor", "donors")
    assert read_participants(STUDY, {"plural": "children's cases"}) == Participants(
        "children's case", "children's cases"
    )


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("people", r"my_study\.yaml: participants: cannot tell the singular of 'people'"),
        ("class", r"participants: cannot tell the singular of 'class'"),
        ({"plural": "people"}, r"participants\.plural: cannot tell the singular of 'people'"),
        (["patients"], r"participants: expected a plural noun"),
        ({}, r"participants: expected a plural noun"),
        ({"singular": "person", "many": "people"}, r"participants: unknown key many"),
        ({"singular": 3}, r"participants\.singular: expected a noun"),
        ("patients 2", r"participants: 'patients 2' is not a noun"),
        ("*patients*", r"participants: '\*patients\*' is not a noun"),
        ({"singular": "sheep", "plural": "sheep"}, r"singular and plural are both 'sheep'"),
    ],
)
def test_bad_values_are_refused_with_the_file_and_key(raw, message):
    with pytest.raises(StudyConfigError, match=message):
        read_participants(STUDY, raw)
