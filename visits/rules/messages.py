"""Every text the rules produce, in German and English, in one place so they can be read together.

Texts for families are kind and plain: they say what IS possible (other times, family slots, the
visits team) and never ask a family to choose which child stays at home. Texts marked "staff"
are shown to staff only (safeguarding reasons, alerts). Placeholders are the same in both
languages; a ``Localised`` value fills each language with its own words.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, time
from typing import NamedTuple

from visits.enums import VisitType


class Localised(NamedTuple):
    de: str
    en: str


MESSAGES: dict[str, Localised] = {
    # CF-01 lead visitor
    "CF-01.pass": Localised(
        "Alle Kinder unter {unaccompanied_min_age} Jahren in dieser Buchung kommen mit einer "
        "Begleitperson, die mindestens {lead_min_age} Jahre alt ist.",
        "Every child under {unaccompanied_min_age} in this booking comes with someone aged "
        "{lead_min_age} or over.",
    ),
    "CF-01.fail": Localised(
        "Kinder unter {unaccompanied_min_age} Jahren kommen bitte mit einer Begleitperson, die "
        "mindestens {lead_min_age} Jahre alt ist. Bitte nehmen Sie eine erwachsene Person in die "
        "Buchung auf. Wenn niemand aus der Familie mitkommen kann, hilft das Besuchsteam, eine "
        "Begleitung zu finden, zum Beispiel über das Jugendamt.",
        "Children under {unaccompanied_min_age} need to come with someone aged {lead_min_age} or "
        "over. Please add an adult to this booking. If nobody in the family can come, the visits "
        "team can help to arrange an escort, for example from the youth welfare office.",
    ),
    # CF-02 consent
    "CF-02.pass": Localised(
        "Für diesen Besuch ist keine Einverständniserklärung nötig.",
        "No consent form is needed for this visit.",
    ),
    "CF-02.on_file": Localised(
        "Die schriftliche Einverständniserklärung der Erziehungsberechtigten liegt uns vor.",
        "We already have the written consent of the children's guardian.",
    ),
    "CF-02.consent": Localised(
        "Die Kinder kommen mit einer erwachsenen Person, die nicht erziehungsberechtigt ist. Bitte "
        "bringen Sie zum Besuch eine unterschriebene Einverständniserklärung der "
        "Erziehungsberechtigten mit.",
        "The children are coming with an adult who is not their guardian. Please bring a consent "
        "form signed by their guardian to the visit.",
    ),
    "CF-02.consent_id": Localised(
        "Die Kinder kommen mit einer erwachsenen Person, die nicht erziehungsberechtigt ist. Bitte "
        "bringen Sie zum Besuch eine unterschriebene Einverständniserklärung der "
        "Erziehungsberechtigten und eine Kopie ihres Ausweises mit.",
        "The children are coming with an adult who is not their guardian. Please bring a consent "
        "form signed by their guardian and a copy of the guardian's ID to the visit.",
    ),
    "CF-02.unaccompanied": Localised(
        "Jugendliche, die ohne erwachsene Begleitung kommen, brauchen eine unterschriebene "
        "Einverständniserklärung der Erziehungsberechtigten. Bitte bringen Sie sie zum Besuch mit.",
        "Young people coming without an adult need a consent form signed by their guardian. "
        "Please bring it to the visit.",
    ),
    "CF-02.unaccompanied_id": Localised(
        "Jugendliche, die ohne erwachsene Begleitung kommen, brauchen eine unterschriebene "
        "Einverständniserklärung der Erziehungsberechtigten und eine Kopie ihres Ausweises. Bitte "
        "bringen Sie beides zum Besuch mit.",
        "Young people coming without an adult need a consent form signed by their guardian and a "
        "copy of the guardian's ID. Please bring both to the visit.",
    ),
    # CF-03 ID documents
    "CF-03.all": Localised(
        "Jede Person braucht an der Pforte einen Ausweis, auch Kinder und Babys (zum Beispiel "
        "Personalausweis, Reisepass oder Kinderreisepass).",
        "Everyone needs an ID document at the gate, children and babies too (for example an "
        "identity card, a passport or a child's passport).",
    ),
    "CF-03.from_age": Localised(
        "Jede Person ab {age} Jahren braucht an der Pforte einen Ausweis. Kinder unter {age} "
        "Jahren, die mit einer erwachsenen Person kommen, brauchen keinen.",
        "Everyone aged {age} or over needs an ID document at the gate. Children under {age} who "
        "come with an adult do not need one.",
    ),
    # CF-04 approval and court permit
    "CF-04.pass": Localised(
        "Alle Personen in dieser Buchung sind für den Besuch zugelassen.",
        "Everyone in this booking is approved to visit.",
    ),
    "CF-04.not_approved": Localised(
        "Noch nicht alle Personen in dieser Buchung sind für Besuche zugelassen. Sie können "
        "buchen, sobald die Anstalt sie zugelassen hat. Das Besuchsteam sagt Ihnen gern, wie weit "
        "die Zulassung ist.",
        "Not everyone in this booking is approved to visit yet. You can book as soon as the "
        "prison has approved them, and the visits team can tell you where the approval stands.",
    ),
    "CF-04.no_permit": Localised(
        "In der Untersuchungshaft braucht jede Person eine Besuchserlaubnis des Gerichts. Noch "
        "nicht alle haben eine gültige Erlaubnis für diesen Tag; das Besuchsteam sagt Ihnen, wie "
        "Sie sie beantragen.",
        "During remand, every visitor needs a visiting permit from the court. Not everyone has a "
        "valid permit for this day yet; the visits team can tell you how to apply.",
    ),
    # CF-05 safeguarding (staff text; families see "family.contact_facility")
    "CF-05.pass": Localised(
        "Für diese Buchung gilt keine Schutzauflage.",
        "No safeguarding restriction applies to this booking.",
    ),
    "CF-05.fail": Localised(
        "Schutzauflage ({codes}): Die Selbstbuchung ist gesperrt. Die Kinderschutzfachkraft "
        "entscheidet mit dokumentierter Begründung zum Kindeswohl.",
        "Safeguarding restriction ({codes}): self-booking is blocked. A safeguarding lead "
        "decides, with a recorded best-interests reason.",
    ),
    # CF-06 ages on the visit date
    "CF-06.pass": Localised(
        "Das Alter wird für den Besuchstag berechnet, den {visit_date}.",
        "Ages are worked out for the day of the visit, {visit_date}.",
    ),
    "CF-06.unborn": Localised(
        "Ein Geburtsdatum in dieser Buchung liegt nach dem Besuchstag. Bitte prüfen Sie die "
        "Geburtsdaten.",
        "A birth date in this booking is after the day of the visit. Please check the birth dates.",
    ),
    # CF-07 caps per visit
    "CF-07.pass": Localised(
        "Die Gruppe passt zu diesem Besuch: bis zu {max_adults} Erwachsene, {max_children} Kinder "
        "und {max_total} Personen insgesamt.",
        "The group fits this visit: up to {max_adults} adults, {max_children} children and "
        "{max_total} visitors in total.",
    ),
    "CF-07.fail": Localised(
        "Zu einem Besuch können bis zu {max_adults} Erwachsene, {max_children} Kinder und "
        "{max_total} Personen insgesamt kommen; Ihre Gruppe hat {adults} Erwachsene und "
        "{children} Kinder. Niemand muss zu Hause bleiben: Familientage und Kinder- und "
        "Familienbesuche sind für größere Familien gedacht, und das Besuchsteam prüft gern eine "
        "Anfrage für Sie alle gemeinsam.",
        "A visit can take up to {max_adults} adults, {max_children} children and {max_total} "
        "visitors in total; your group has {adults} adults and {children} children. Nobody has "
        "to stay at home: family days and child and family visits are made for bigger families, "
        "and the visits team can look at a request for all of you together.",
    ),
    "CF-07.empty": Localised(
        "Bitte nehmen Sie mindestens eine Person in die Buchung auf.",
        "Please add at least one visitor to the booking.",
    ),
    # CF-07b room capacity
    "CF-07b.pass": Localised(
        "Zu dieser Zeit ist Platz für Ihre Gruppe.",
        "There is room for your group at this time.",
    ),
    "CF-07b.fail": Localised(
        "Diese Zeit ist fast ausgebucht: Es gibt noch Platz für {tables} Familien, {seats} "
        "Sitzplätze und {children} Kinder; Ihre Gruppe braucht einen Tisch, {need_seats} "
        "Sitzplätze und Platz für {need_children} Kinder. Bitte wählen Sie eine andere Zeit; "
        "dort ist vielleicht noch Platz.",
        "This time is nearly full: there is room for {tables} more families, {seats} more seats "
        "and {children} more children, and your group needs a table, {need_seats} seats and "
        "room for {need_children} children. Please choose another time, which may still have "
        "space.",
    ),
    # CF-08 composition per visit type
    "CF-08.pass": Localised(
        "Die Gruppe passt zu dieser Besuchsart.",
        "The group suits this kind of visit.",
    ),
    "CF-08.children_required": Localised(
        "{visit_type}: Diese Besuchsart ist für Kinder gedacht. Bitte nehmen Sie die Kinder in "
        "die Buchung auf oder wählen Sie einen Regelbesuch.",
        "{visit_type}: this kind of visit is for children. Please add the children to the "
        "booking, or choose a regular visit.",
    ),
    "CF-08.too_many_adults": Localised(
        "{visit_type}: Mit den Kindern können höchstens {max_adults} erwachsene Begleitpersonen "
        "kommen; Ihre Gruppe hat {adults}. Weitere Erwachsene sind bei Regelbesuchen willkommen, "
        "und das Besuchsteam prüft gern eine Anfrage.",
        "{visit_type}: at most {max_adults} accompanying adults can come with the children; your "
        "group has {adults}. Other adults are welcome at regular visits, and the visits team can "
        "look at a request.",
    ),
    # CF-10 ledgers
    "CF-10.regular": Localised(
        "Dieser Besuch zählt zur regulären Besuchszeit.",
        "This visit counts toward the regular visiting time.",
    ),
    "CF-10.child": Localised(
        "Dieser Besuch nutzt die zusätzliche Besuchszeit für Kinder ({minutes} Minuten; danach "
        "bleiben in diesem Monat {remaining} Minuten). Er zählt nicht zur regulären Besuchszeit.",
        "This visit uses the extra visiting time for children ({minutes} minutes; {remaining} "
        "minutes are left this month afterwards). It does not count toward the regular visiting "
        "time.",
    ),
    "CF-10.programme": Localised(
        "Familienangebote zählen nicht zur regulären Besuchszeit.",
        "Family programmes do not count toward the regular visiting time.",
    ),
    "CF-10.video": Localised(
        "Videobesuche werden getrennt gezählt und verbrauchen nie die Besuchszeit für Kinder.",
        "Video visits are counted on their own and never use up the visiting time for children.",
    ),
    "CF-10.no_eligible_child": Localised(
        "Kinder- und Familienbesuche sind für die Kinder (bis {max_age} Jahre) der besuchten "
        "Person. Bitte nehmen Sie die Kinder in die Buchung auf oder wählen Sie einen "
        "Regelbesuch, der allen offensteht.",
        "Child and family visits are for the children (aged {max_age} or younger) of the person "
        "you are visiting. Please add them to the booking, or choose a regular visit, which is "
        "open to everyone.",
    ),
    "CF-10.exhausted": Localised(
        "Von der zusätzlichen Besuchszeit für Kinder sind in diesem Monat noch {remaining} Minuten "
        "übrig; dieser Besuch dauert {minutes} Minuten. Regelbesuche sind weiter möglich, im "
        "nächsten Monat gibt es wieder zusätzliche Zeit, und das Besuchsteam prüft gern eine "
        "Anfrage.",
        "The extra visiting time for children has {remaining} minutes left this month, and this "
        "visit lasts {minutes} minutes. Regular visits are still possible, the extra time starts "
        "again next month, and the visits team can look at a request.",
    ),
    # CF-11 visits per period
    "CF-11.not_counted": Localised(
        "Dieser Besuch zählt nicht zur erlaubten Zahl der Besuche.",
        "This visit does not count toward the number of visits allowed.",
    ),
    "CF-11.unlimited": Localised(
        "Die Zahl der Besuche pro Zeitraum ist nicht begrenzt.",
        "There is no limit on the number of visits in a period.",
    ),
    "CF-11.pass": Localised(
        "Dies ist Besuch {number} von {cap} erlaubten Besuchen in {period_days} Tagen.",
        "This is visit {number} of the {cap} allowed in {period_days} days.",
    ),
    "CF-11.fail": Localised(
        "Alle {cap} erlaubten Besuche in {period_days} Tagen sind schon genutzt. Familientage und "
        "Eltern-Kind-Gruppen zählen nicht dazu, und das Besuchsteam prüft gern eine Anfrage.",
        "All {cap} visits allowed in {period_days} days have been used. Family days and "
        "parent-child groups do not count toward them, and the visits team can look at a "
        "request.",
    ),
    # CF-12 neither reward nor sanction
    "CF-12.pass": Localised(
        "Besuche mit Kindern werden nie als Belohnung oder Strafe gekürzt.",
        "Visits with children are never cut as a reward or a punishment.",
    ),
    "CF-12.disregarded": Localised(
        "Vergünstigungsstufe und Disziplinarmaßnahmen ({flags}) wurden nicht angewendet: Kontakt "
        "zu Kindern ist weder Belohnung noch Sanktion.",
        "Incentive level and disciplinary measures ({flags}) were not applied: contact with "
        "children is neither a reward nor a sanction.",
    ),
    # CF-13 length of child visits
    "CF-13.no_children": Localised(
        "Für Besuche ohne Kinder gibt es keine Mindestdauer.",
        "There is no minimum length for visits without children.",
    ),
    "CF-13.pass": Localised(
        "Dieser Besuch dauert {minutes} Minuten: gute Zeit für die Kinder.",
        "This visit lasts {minutes} minutes: good time for the children.",
    ),
    "CF-13.too_short": Localised(
        "Besuche mit Kindern dauern mindestens {min_minutes} Minuten, diese Besuchszeit dauert "
        "{minutes}. Bitte wählen Sie eine längere Besuchszeit; das Besuchsteam hilft gern.",
        "Visits with children last at least {min_minutes} minutes, and this session lasts "
        "{minutes}. Please choose a longer session; the visits team is happy to help.",
    ),
    "CF-13.too_short_regular": Localised(
        "Dieser Besuch dauert {minutes} Minuten, weniger als die {min_minutes} Minuten, die "
        "Kinder mindestens haben sollten. Kinder- und Familienbesuche dauern länger.",
        "This visit lasts {minutes} minutes, less than the {min_minutes} minutes children should "
        "have at least. Child and family visits last longer.",
    ),
    "CF-13.below_recommended": Localised(
        "Dieser Besuch dauert {minutes} Minuten. Für Kinder empfehlen wir mindestens "
        "{recommended} Minuten, wenn eine längere Zeit für Sie passt.",
        "This visit lasts {minutes} minutes. For children we recommend at least {recommended} "
        "minutes, if a longer time suits you.",
    ),
    # CF-16 school hours
    "CF-16.pass": Localised(
        "Diese Zeit überschneidet sich nicht mit der Schule.",
        "This time does not clash with school.",
    ),
    "CF-16.fail": Localised(
        "Dieser Besuch liegt an einem Schultag in der Schulzeit (von {start} bis {end} Uhr). "
        "Zeiten nach der Schule, am Wochenende und in den Ferien sind für Schulkinder leichter.",
        "This visit is on a school day during school hours ({start} to {end}). Times after "
        "school, at weekends and in the holidays are easier for school children.",
    ),
    # CF-17 times of day for young children
    "CF-17.pass": Localised(
        "Die Tageszeit passt für kleine Kinder.",
        "The time of day suits young children.",
    ),
    "CF-17.fail": Localised(
        "Für Kinder unter {young_age} Jahren sind Besuche zwischen {earliest} und {latest} Uhr "
        "meist leichter; dieser dauert von {start} bis {end} Uhr.",
        "For children under {young_age}, visits between {earliest} and {latest} are usually "
        "easier; this one runs from {start} to {end}.",
    ),
    # CF-BW booking window
    "CF-BW.pass": Localised(
        "Diese Zeit kann gebucht werden.",
        "This time can be booked.",
    ),
    "CF-BW.past": Localised(
        "Diese Zeit hat schon begonnen oder ist vorbei. Bitte wählen Sie eine spätere Zeit.",
        "This time has already begun or passed. Please choose a later time.",
    ),
    "CF-BW.staff_only": Localised(
        "Diese Zeit vergibt das Besuchsteam; sie kann nicht online gebucht werden. Bitte melden "
        "Sie sich dort, wenn sie für Sie passt.",
        "This time is arranged by the visits team and cannot be booked online. Please contact "
        "them if it suits you.",
    ),
    "CF-BW.too_soon": Localised(
        "Besuche werden mindestens {hours} Stunden im Voraus gebucht. Bitte wählen Sie eine "
        "spätere Zeit; für einen dringenden ersten Besuch nach der Aufnahme hilft das "
        "Besuchsteam.",
        "Visits are booked at least {hours} hours ahead. Please choose a later time; for an "
        "urgent first visit after an admission, the visits team can help.",
    ),
    "CF-BW.too_far": Localised(
        "Besuche können bis zu {days} Tage im Voraus gebucht werden. Diese Zeit kann ab dem "
        "{opens} gebucht werden.",
        "Visits can be booked up to {days} days ahead. This time can be booked from {opens}.",
    ),
    # CF-18 child-friendly rooms
    "CF-18.pass": Localised(
        "Der Raum passt zum Alter der Kinder.",
        "The room suits the children's ages.",
    ),
    "CF-18.fail": Localised(
        "Dieser Raum ist nicht für Kinder im Alter von {bands} Jahren eingerichtet. Zeiten in "
        "kinderfreundlichen Räumen sind in der Liste der Zeiten markiert.",
        "This room is not set up for children aged {bands}. Times in child-friendly rooms are "
        "marked in the list of times.",
    ),
    # CF-19 closed visits with children
    "CF-19.pass": Localised(
        "Diese Buchung braucht keine Prüfung für Besuche an einer Trennscheibe.",
        "This booking needs no check for visits behind a glass partition.",
    ),
    "CF-19.fail": Localised(
        "Besuche mit Kindern an einer Trennscheibe werden nie online gebucht. Das Besuchsteam "
        "prüft diese Anfrage und meldet sich bei Ihnen.",
        "Visits with children behind a glass partition are never booked online. The visits team "
        "will look at this request and get in touch with you.",
    ),
    "CF-19.prisoner_closed": Localised(
        "Die gefangene Person hat nur Trennscheibenbesuche, und ein Kind ist dabei: Die "
        "Kinderschutzfachkraft entscheidet.",
        "The prisoner has closed visits only and a child is in the party: a safeguarding lead "
        "decides.",
    ),
    # CF-20 day sheet (staff)
    "CF-20.none": Localised(
        "Bei diesem Besuch sind keine Kinder dabei.",
        "No children in this visit.",
    ),
    "CF-20.flag": Localised(
        "Kinder in der Gruppe ({count}, Alter: {ages}): kindgerechte Kontrolle und kindgerechter "
        "Einlass an der Pforte.",
        "Children in the party ({count}, aged {ages}): child-sensitive search and entry at the "
        "gate.",
    ),
    # CF-21 information per age band
    "CF-21.no_children": Localised(
        "Ihre Bestätigung erklärt, was an der Pforte und im Besuchsraum passiert.",
        "Your confirmation explains what happens at the gate and in the visiting room.",
    ),
    "CF-21.bands": Localised(
        "Ihre Bestätigung enthält Informationen für Kinder im Alter von {bands} Jahren: was an der "
        "Pforte passiert und wie der Besuchsraum aussieht.",
        "Your confirmation includes information for children aged {bands}: what happens at the "
        "gate and what the visiting room looks like.",
    ),
    # CF-22 the child's voice (staff text; families see "family.review")
    "CF-22.pass": Localised(
        "Kinder ab {voice_age} Jahren können dem Besuchsteam sagen, was sie sich für Besuche "
        "wünschen.",
        "Children aged {voice_age} or over can tell the visits team what they would like about "
        "visits.",
    ),
    "CF-22.fail": Localised(
        "Ein Kind ab {voice_age} Jahren hat festgehalten, dass es nicht zu Besuch kommen möchte. "
        "Die Kinderschutzfachkraft prüft diese Buchung mit Blick auf die Sicht des Kindes.",
        "A child aged {voice_age} or over has recorded that they do not want to visit. A "
        "safeguarding lead reviews this booking with the child's view in mind.",
    ),
    # CF-23 video visits
    "CF-23.pass": Localised(
        "Videobesuche kommen zu Besuchen vor Ort hinzu; sie ersetzen sie nie.",
        "Video visits add to visits in person; they never replace them.",
    ),
    "CF-23.video": Localised(
        "Dieser Videobesuch wird für sich gezählt: Er verbraucht nie die Besuchszeit für Kinder "
        "und ersetzt keinen Besuch vor Ort.",
        "This video visit is counted on its own: it never uses the visiting time for children "
        "and never replaces a visit in person.",
    ),
    # CF-24 family programmes
    "CF-24.not_programme": Localised(
        "Dieser Besuch ist kein Familienangebot.",
        "This visit is not a family programme.",
    ),
    "CF-24.pass": Localised(
        "{programme}: Das Alter der Kinder passt.",
        "{programme}: the children's ages fit.",
    ),
    "CF-24.children_required": Localised(
        "{programme}: Dieses Angebot ist für Familien mit Kindern. Bitte nehmen Sie die Kinder in "
        "die Buchung auf.",
        "{programme}: this programme is for families with children. Please add the children to "
        "the booking.",
    ),
    "CF-24.ages": Localised(
        "{programme}: Dieses Angebot ist für Kinder von {min_age} bis {max_age} Jahren. Damit alle "
        "Ihre Kinder gemeinsam kommen können, stehen Kinder- und Familienbesuche jedem Alter "
        "offen, und das Besuchsteam prüft gern eine Anfrage.",
        "{programme}: this programme is for children aged {min_age} to {max_age}. So that all "
        "your children can come together, child and family visits are open to every age, and "
        "the visits team can look at a request.",
    ),
    # CF-25 long visits
    "CF-25.pass": Localised(
        "Dieser Besuch braucht keine Genehmigung der Anstaltsleitung.",
        "This visit needs no approval by the governor.",
    ),
    "CF-25.fail": Localised(
        "Langzeitbesuche genehmigt die Anstaltsleitung. Ihre Anfrage geht an das Besuchsteam, das "
        "sich bei Ihnen meldet.",
        "Long visits are approved by the prison's governor. Your request goes to the visits "
        "team, who will get in touch with you.",
    ),
    # Alerts (staff)
    "CF-09.pass": Localised(
        "Die Kapazität für Regelbesuche im Monat {month} erreicht das Minimum: {offered} Minuten "
        "pro gefangener Person (Minimum {minimum}).",
        "Regular visiting capacity in {month} meets the minimum: {offered} minutes per prisoner "
        "(minimum {minimum}).",
    ),
    "CF-09.alert": Localised(
        "Die Kapazität für Regelbesuche im Monat {month} beträgt {offered} Minuten pro gefangener "
        "Person und liegt unter dem Minimum von {minimum} Minuten. Bitte bieten Sie weitere "
        "Besuchszeiten an.",
        "Regular visiting capacity in {month} is {offered} minutes per prisoner, below the "
        "minimum of {minimum} minutes. Please offer more visiting times.",
    ),
    "CF-14.booked": Localised(
        "Kinderbesuch gebucht für Tag {visit_day} nach der Aufnahme (Ziel: innerhalb von "
        "{target_days} Tagen).",
        "Child visit booked for day {visit_day} after admission (target: within {target_days} "
        "days).",
    ),
    "CF-14.not_due": Localised(
        "Tag {day} nach der Aufnahme; ein Hinweis folgt ab Tag {alert_day}, falls bis dahin kein "
        "Kinderbesuch gebucht ist.",
        "Day {day} after admission; an alert follows from day {alert_day} if no child visit is "
        "booked by then.",
    ),
    "CF-14.alert": Localised(
        "Tag {day} nach der Aufnahme, und kein Kinderbesuch ist innerhalb von {target_days} Tagen "
        "gebucht. Bitte nehmen Sie Kontakt mit der Familie auf; das Personal kann auch innerhalb "
        "der üblichen Vorlaufzeit buchen.",
        "Day {day} after admission and no child visit is booked within {target_days} days. "
        "Please contact the family; staff may book inside the normal notice period.",
    ),
    "CF-15.pass": Localised(
        "Kind {child}: letzter Besuch vor {days} Tagen (Hinweis nach {alert_days} Tagen).",
        "Child {child}: last visit {days} days ago (alert after {alert_days} days).",
    ),
    "CF-15.alert": Localised(
        "Kind {child} hatte seit {days} Tagen keinen Besuch (angestrebt: alle {target_days} Tage). "
        "Bitte nehmen Sie Kontakt mit der Familie auf.",
        "Child {child} has had no visit for {days} days (hoped for: every {target_days} days). "
        "Please contact the family.",
    ),
    "CF-23.in_person": Localised(
        "Kind {child}: kein reiner Videokontakt in den letzten {alert_days} Tagen.",
        "Child {child}: no video-only contact in the last {alert_days} days.",
    ),
    "CF-23.video_only": Localised(
        "Kind {child} hatte seit {days} Tagen nur Videokontakt. Videobesuche ergänzen Besuche vor "
        "Ort und ersetzen sie nie: Bitte bieten Sie einen Besuch vor Ort an.",
        "Child {child} has had only video contact for {days} days. Video visits add to visits in "
        "person and never replace them: please offer a visit in person.",
    ),
    # What a family sees instead of a confidential reason
    "family.contact_facility": Localised(
        "Dieser Besuch kann nicht online gebucht werden. Bitte wenden Sie sich an das Besuchsteam "
        "der Anstalt; es hilft Ihnen gern weiter.",
        "This visit cannot be booked online. Please contact the prison's visits team; they will "
        "be glad to help.",
    ),
    "family.review": Localised(
        "Eine Person aus dem Besuchsteam sieht sich diese Buchung an und meldet sich bei Ihnen.",
        "Someone from the visits team will look at this booking and get in touch with you.",
    ),
}

VISIT_TYPE_NAMES: dict[VisitType, Localised] = {
    VisitType.REGULAR: Localised("Regelbesuch", "Regular visit"),
    VisitType.CHILD_FAMILY: Localised("Kinder- und Familienbesuch", "Child and family visit"),
    VisitType.FAMILY_DAY: Localised("Familientag", "Family day"),
    VisitType.PARENT_CHILD_GROUP: Localised("Eltern-Kind-Gruppe", "Parent-child group"),
    VisitType.LONG_VISIT: Localised("Langzeitbesuch", "Long visit"),
    VisitType.VIDEO: Localised("Videobesuch", "Video visit"),
}

_MONTHS_EN = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def say(key: str, **values: object) -> Localised:
    """The message ``key`` with its placeholders filled; ``Localised`` values per language."""
    template = MESSAGES[key]

    def fill(language: int) -> dict[str, object]:
        return {k: v[language] if isinstance(v, Localised) else v for k, v in values.items()}

    return Localised(template.de.format(**fill(0)), template.en.format(**fill(1)))


def joined(parts: Iterable[Localised]) -> Localised:
    """Several messages as one, sentence after sentence."""
    items = list(parts)
    return Localised(" ".join(p.de for p in items), " ".join(p.en for p in items))


def and_list(items: Sequence[str]) -> Localised:
    """ "a, b und c" / "a, b and c"."""
    if len(items) <= 1:
        only = items[0] if items else ""
        return Localised(only, only)
    head = ", ".join(items[:-1])
    return Localised(f"{head} und {items[-1]}", f"{head} and {items[-1]}")


def day_text(day: date) -> Localised:
    return Localised(f"{day:%d.%m.%Y}", f"{day.day} {_MONTHS_EN[day.month - 1]} {day.year}")


def clock(moment: time) -> str:
    return moment.strftime("%H:%M")


def wall_clock(moment: datetime) -> str:
    """An aware local time as the clock reads it. A reading the clock shows twice that day (the
    repeated autumn hour) carries its UTC offset, so "02:30 to 02:30" cannot be misread."""
    shown = clock(moment.time())
    if moment.replace(fold=0).utcoffset() == moment.replace(fold=1).utcoffset():
        return shown
    offset = moment.strftime("%z")
    return f"{shown} (UTC{offset[:3]}:{offset[3:]})"
