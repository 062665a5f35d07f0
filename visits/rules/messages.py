"""Every text the rules produce, by message key, in one place so they can be read together.

A key (``"CF-01.fail"``) is stable and stored with a result; its value is the English gettext
message id, translated when the result is shown (``texts.render``). German and every further
language live in the catalogs only. Texts for families are kind and plain: they say what IS
possible (other times, family slots, the visits team) and never ask a family to choose which
child stays at home. Texts marked "staff" are shown to staff only (safeguarding reasons, alerts).
"""

from __future__ import annotations

from visits.enums import VISIT_TYPE_NAMES, VisitType
from visits.i18n import N_, N_plural

MESSAGES: dict[str, str] = {
    # CF-01 lead visitor
    "CF-01.pass": N_(
        "Every child under %(unaccompanied_min_age)s in this booking comes with someone aged "
        "%(lead_min_age)s or over."
    ),
    "CF-01.fail": N_(
        "Children under %(unaccompanied_min_age)s need to come with someone aged "
        "%(lead_min_age)s or over. Please add an adult to this booking. If nobody in the family "
        "can come, the visits team can help to arrange an escort, for example from the youth "
        "welfare office."
    ),
    # CF-02 consent
    "CF-02.pass": N_("No consent form is needed for this visit."),
    "CF-02.on_file": N_("We already have the written consent of the children's guardian."),
    "CF-02.consent": N_(
        "The children are coming with an adult who is not their guardian. Please bring a consent "
        "form signed by their guardian to the visit."
    ),
    "CF-02.consent_id": N_(
        "The children are coming with an adult who is not their guardian. Please bring a consent "
        "form signed by their guardian and a copy of the guardian's ID to the visit."
    ),
    "CF-02.unaccompanied": N_(
        "Young people coming without an adult need a consent form signed by their guardian. "
        "Please bring it to the visit."
    ),
    "CF-02.unaccompanied_id": N_(
        "Young people coming without an adult need a consent form signed by their guardian and a "
        "copy of the guardian's ID. Please bring both to the visit."
    ),
    # CF-03 ID documents
    "CF-03.all": N_(
        "Everyone needs an ID document at the gate, children and babies too (for example an "
        "identity card, a passport or a child's passport)."
    ),
    "CF-03.from_age": N_(
        "Everyone aged %(age)s or over needs an ID document at the gate. Children under %(age)s "
        "who come with an adult do not need one."
    ),
    # CF-04 approval and court permit
    "CF-04.pass": N_("Everyone in this booking is approved to visit."),
    "CF-04.not_approved": N_(
        "Not everyone in this booking is approved to visit yet. You can book as soon as the "
        "prison has approved them, and the visits team can tell you where the approval stands."
    ),
    "CF-04.no_permit": N_(
        "During remand, every visitor needs a visiting permit from the court. Not everyone has a "
        "valid permit for this day yet; the visits team can tell you how to apply."
    ),
    # CF-05 safeguarding (staff text; families see "family.contact_facility")
    "CF-05.pass": N_("No safeguarding restriction applies to this booking."),
    "CF-05.fail": N_(
        "Safeguarding restriction (%(codes)s): self-booking is blocked. A safeguarding lead "
        "decides, with a recorded best-interests reason."
    ),
    # CF-06 ages on the visit date
    "CF-06.pass": N_("Ages are worked out for the day of the visit, %(visit_date)s."),
    "CF-06.unborn": N_(
        "A birth date in this booking is after the day of the visit. Please check the birth dates."
    ),
    # CF-07 caps per visit
    "CF-07.pass": N_(
        "The group fits this visit: up to %(max_adults)s, %(max_children)s and %(max_total)s in "
        "total."
    ),
    "CF-07.fail": N_(
        "A visit can take up to %(max_adults)s, %(max_children)s and %(max_total)s in total; "
        "your group has %(adults)s and %(children)s. Nobody has to stay at home: family days "
        "and child and family visits are made for bigger families, and the visits team can look "
        "at a request for all of you together."
    ),
    "CF-07.empty": N_("Please add at least one visitor to the booking."),
    # CF-07b room capacity
    "CF-07b.pass": N_("There is room for your group at this time."),
    "CF-07b.fail": N_(
        "This time is nearly full: there is room for %(tables)s, %(seats)s and %(children)s, "
        "and your group needs a table, %(need_seats)s and room for %(need_children)s. Please "
        "choose another time, which may still have space."
    ),
    # CF-08 composition per visit type
    "CF-08.pass": N_("The group suits this kind of visit."),
    "CF-08.children_required": N_(
        "%(visit_type)s: this kind of visit is for children. Please add the children to the "
        "booking, or choose a regular visit."
    ),
    "CF-08.too_many_adults": N_(
        "%(visit_type)s: at most %(max_adults)s can come with the children; "
        "your group has %(adults)s. Other adults are welcome at regular visits, and the visits "
        "team can look at a request."
    ),
    # CF-10 ledgers
    "CF-10.regular": N_("This visit counts toward the regular visiting time."),
    "CF-10.child": N_(
        "This visit uses the extra visiting time for children (%(minutes)s, leaving %(remaining)s "
        "for the rest of this month). It does not count toward the regular visiting time."
    ),
    "CF-10.programme": N_("Family programmes do not count toward the regular visiting time."),
    "CF-10.video": N_(
        "Video visits are counted on their own and never use up the visiting time for children."
    ),
    "CF-10.no_eligible_child": N_(
        "Child and family visits are for the children (aged %(max_age)s or younger) of the "
        "person you are visiting. Please add them to the booking, or choose a regular visit, "
        "which is open to everyone."
    ),
    "CF-10.exhausted": N_(
        "The extra visiting time for children has %(remaining)s left this month, and this visit "
        "lasts %(minutes)s. Regular visits are still possible, the extra time "
        "starts again next month, and the visits team can look at a request."
    ),
    # CF-11 visits per period
    "CF-11.not_counted": N_("This visit does not count toward the number of visits allowed."),
    "CF-11.unlimited": N_("There is no limit on the number of visits in a period."),
    "CF-11.pass": N_("This is visit %(number)s of %(cap)s %(period_days)s."),
    "CF-11.fail": N_(
        "You have used %(cap)s %(period_days)s. Family days and "
        "parent-child groups do not count toward them, and the visits team can look at a "
        "request."
    ),
    # CF-12 neither reward nor sanction
    "CF-12.pass": N_("Visits with children are never cut as a reward or a punishment."),
    "CF-12.disregarded": N_(
        "Incentive level and disciplinary measures (%(flags)s) were not applied: contact with "
        "children is neither a reward nor a sanction."
    ),
    # CF-13 length of child visits
    "CF-13.no_children": N_("There is no minimum length for visits without children."),
    "CF-13.pass": N_("This visit lasts %(minutes)s: good time for the children."),
    "CF-13.too_short": N_(
        "Visits with children last at least %(min_minutes)s, and this session lasts "
        "%(minutes)s. Please choose a longer session; the visits team is happy to help."
    ),
    "CF-13.too_short_regular": N_(
        "This visit lasts %(minutes)s, less than the %(min_minutes)s children should have at "
        "least. Child and family visits last longer."
    ),
    "CF-13.below_recommended": N_(
        "This visit lasts %(minutes)s. For children we recommend at least %(recommended)s, if a "
        "longer time suits you."
    ),
    # CF-16 school hours
    "CF-16.pass": N_("This time does not clash with school."),
    "CF-16.fail": N_(
        "This visit is on a school day during school hours (%(start)s to %(end)s). Times after "
        "school, at weekends and in the holidays are easier for school children."
    ),
    # CF-17 times of day for young children
    "CF-17.pass": N_("The time of day suits young children."),
    "CF-17.fail": N_(
        "For children under %(young_age)s, visits between %(earliest)s and %(latest)s are "
        "usually easier; this one runs from %(start)s to %(end)s."
    ),
    # CF-BW booking window
    "CF-BW.pass": N_("This time can be booked."),
    "CF-BW.past": N_("This time has already begun or passed. Please choose a later time."),
    "CF-BW.staff_only": N_(
        "This time is arranged by the visits team and cannot be booked online. Please contact "
        "them if it suits you."
    ),
    "CF-BW.too_soon": N_(
        "Visits are booked at least %(hours)s ahead. Please choose a later time; for an "
        "urgent first visit after an admission, the visits team can help."
    ),
    "CF-BW.too_far": N_(
        "Visits can be booked up to %(days)s ahead. This time can be booked from %(opens)s."
    ),
    # CF-18 child-friendly rooms
    "CF-18.pass": N_("The room suits the children's ages."),
    "CF-18.fail": N_(
        "This room is not set up for children aged %(bands)s. Times in child-friendly rooms are "
        "marked in the list of times."
    ),
    # CF-19 closed visits with children
    "CF-19.pass": N_("This booking needs no check for visits behind a glass partition."),
    "CF-19.fail": N_(
        "Visits with children behind a glass partition are never booked online. The visits team "
        "will look at this request and get in touch with you."
    ),
    "CF-19.prisoner_closed": N_(
        "The prisoner has closed visits only and a child is in the party: a safeguarding lead "
        "decides."
    ),
    # CF-21 information per age band
    "CF-21.no_children": N_(
        "Your confirmation explains what happens at the gate and in the visiting room."
    ),
    "CF-21.bands": N_(
        "Your confirmation includes information for children aged %(bands)s: what happens at the "
        "gate and what the visiting room looks like."
    ),
    # CF-22 the child's voice (staff text; families see "family.review")
    "CF-22.pass": N_(
        "Children aged %(voice_age)s or over can tell the visits team what they would like about "
        "visits."
    ),
    "CF-22.fail": N_(
        "A child aged %(voice_age)s or over has recorded that they do not want to visit. A "
        "safeguarding lead reviews this booking with the child's view in mind."
    ),
    # CF-23 video visits
    "CF-23.pass": N_("Video visits add to visits in person; they never replace them."),
    "CF-23.video": N_(
        "This video visit is counted on its own: it never uses the visiting time for children "
        "and never replaces a visit in person."
    ),
    # CF-24 family programmes
    "CF-24.not_programme": N_("This visit is not a family programme."),
    "CF-24.pass": N_("%(programme)s: the children's ages fit."),
    "CF-24.children_required": N_(
        "%(programme)s: this programme is for families with children. Please add the children to "
        "the booking."
    ),
    "CF-24.ages": N_(
        "%(programme)s: this programme is for children aged %(min_age)s to %(max_age)s. So that "
        "all your children can come together, child and family visits are open to every age, and "
        "the visits team can look at a request."
    ),
    # CF-25 long visits
    "CF-25.pass": N_("This visit needs no approval by the governor."),
    "CF-25.fail": N_(
        "Long visits are approved by the prison's governor. Your request goes to the visits "
        "team, who will get in touch with you."
    ),
    # Alerts (staff)
    "CF-09.pass": N_(
        "Regular visiting capacity in %(month)s meets the minimum: %(offered)s per prisoner "
        "(minimum %(minimum)s)."
    ),
    "CF-09.alert": N_(
        "Regular visiting capacity in %(month)s is %(offered)s per prisoner, below the minimum "
        "of %(minimum)s. Please offer more visiting times."
    ),
    "CF-14.booked": N_(
        "Child visit booked for day %(visit_day)s after admission (target: %(target_days)s)."
    ),
    "CF-14.not_due": N_(
        "Day %(day)s after admission; an alert follows from day %(alert_day)s if no child visit "
        "is booked by then."
    ),
    "CF-14.alert": N_(
        "Day %(day)s after admission and no child visit is booked %(target_days)s. "
        "Please contact the family; staff may book inside the normal notice period."
    ),
    "CF-15.pass": N_("Child %(child)s: last visit %(days)s (alert %(alert_days)s)."),
    "CF-15.alert": N_(
        "Child %(child)s has had no visit %(days)s (hoped for: %(target_days)s). Please contact "
        "the family."
    ),
    "CF-23.in_person": N_("Child %(child)s: no video-only contact %(alert_days)s."),
    "CF-23.video_only": N_(
        "Child %(child)s has had only video contact %(days)s. Video visits add to "
        "visits in person and never replace them: please offer a visit in person."
    ),
    # What a family sees instead of a confidential reason
    "family.contact_facility": N_(
        "This visit cannot be booked online. Please contact the prison's visits team; they will "
        "be glad to help."
    ),
    "family.review": N_(
        "Someone from the visits team will look at this booking and get in touch with you."
    ),  # Names of visit types inside texts (``visit_type_name``): the one table of names
    **{f"visit_type.{kind.value}": name for kind, name in VISIT_TYPE_NAMES.items()},
    # Two texts as one, sentence after sentence (``texts.joined``)
    "sentences": N_("%(first)s %(second)s"),
}

# Counts inside texts, each with the words around it that change with the number ("1 adult",
# "2 adults"; German also changes with the case: "nach 1 Tag", "nach 2 Tagen").
ADULTS = N_plural("%(num)d adult", "%(num)d adults")
ACCOMPANYING_ADULTS = N_plural("%(num)d accompanying adult", "%(num)d accompanying adults")
CHILDREN = N_plural("%(num)d child", "%(num)d children")
VISITORS = N_plural("%(num)d visitor", "%(num)d visitors")
MORE_FAMILIES = N_plural("%(num)d more family", "%(num)d more families")
MORE_SEATS = N_plural("%(num)d more seat", "%(num)d more seats")
MORE_CHILDREN = N_plural("%(num)d more child", "%(num)d more children")
SEATS = N_plural("%(num)d seat", "%(num)d seats")
MINUTES = N_plural("%(num)d minute", "%(num)d minutes")
HOURS = N_plural("%(num)d hour", "%(num)d hours")
DAYS = N_plural("%(num)d day", "%(num)d days")
IN_DAYS = N_plural("in %(num)d day", "in %(num)d days")
WITHIN_DAYS = N_plural("within %(num)d day", "within %(num)d days")
DAYS_AGO = N_plural("%(num)d day ago", "%(num)d days ago")
AFTER_DAYS = N_plural("after %(num)d day", "after %(num)d days")
FOR_DAYS = N_plural("for %(num)d day", "for %(num)d days")
EVERY_DAYS = N_plural("every day", "every %(num)d days")
LAST_DAYS = N_plural("in the last day", "in the last %(num)d days")
VISITS_ALLOWED = N_plural("%(num)d visit allowed", "%(num)d visits allowed")
THE_VISITS_ALLOWED = N_plural("the %(num)d visit allowed", "all %(num)d visits allowed")

COUNTED: dict[str, dict[str, tuple[str, str]]] = {
    "CF-07.pass": {"max_adults": ADULTS, "max_children": CHILDREN, "max_total": VISITORS},
    "CF-07.fail": {
        "max_adults": ADULTS,
        "max_children": CHILDREN,
        "max_total": VISITORS,
        "adults": ADULTS,
        "children": CHILDREN,
    },
    "CF-07b.fail": {
        "tables": MORE_FAMILIES,
        "seats": MORE_SEATS,
        "children": MORE_CHILDREN,
        "need_seats": SEATS,
        "need_children": CHILDREN,
    },
    "CF-08.too_many_adults": {"max_adults": ACCOMPANYING_ADULTS},
    "CF-10.child": {"minutes": MINUTES, "remaining": MINUTES},
    "CF-10.exhausted": {"minutes": MINUTES, "remaining": MINUTES},
    "CF-11.pass": {"cap": VISITS_ALLOWED, "period_days": IN_DAYS},
    "CF-11.fail": {"cap": THE_VISITS_ALLOWED, "period_days": IN_DAYS},
    "CF-13.pass": {"minutes": MINUTES},
    "CF-13.too_short": {"minutes": MINUTES, "min_minutes": MINUTES},
    "CF-13.too_short_regular": {"minutes": MINUTES, "min_minutes": MINUTES},
    "CF-13.below_recommended": {"minutes": MINUTES, "recommended": MINUTES},
    "CF-BW.too_soon": {"hours": HOURS},
    "CF-BW.too_far": {"days": DAYS},
    "CF-09.pass": {"offered": MINUTES, "minimum": MINUTES},
    "CF-09.alert": {"offered": MINUTES, "minimum": MINUTES},
    "CF-14.booked": {"target_days": WITHIN_DAYS},
    "CF-14.alert": {"target_days": WITHIN_DAYS},
    "CF-15.pass": {"days": DAYS_AGO, "alert_days": AFTER_DAYS},
    "CF-15.alert": {"days": FOR_DAYS, "target_days": EVERY_DAYS},
    "CF-23.in_person": {"alert_days": LAST_DAYS},
    "CF-23.video_only": {"days": FOR_DAYS},
}
"""The parameters of a message that are counts, each with its singular and plural words
(``%(num)d`` is the count): ``texts.render`` picks the form the number needs in the language."""

AND_LIST = N_("%(head)s and %(last)s")
"""The last two items of a list ("a, b and c"); the items before them are separated by commas."""

DATE_PATTERN = N_("d MMMM y")
"""How a date reads in a text: a Babel (CLDR) date pattern, so each language picks its own."""


def visit_type_key(visit_type: VisitType) -> str:
    """The message key of a visit type's name."""
    return f"visit_type.{visit_type.value}"
