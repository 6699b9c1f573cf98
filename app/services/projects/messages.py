"""Domain msgids of projects and business processes (app.services.projects), listed for extraction: raised
or written as plain English msgids and translated where they are shown (pages, the API, notices and
e-mails in the recipient's language)."""

from flask_babel import lazy_gettext as _l

PROJECT_MESSAGES = (
    _l("%(field)s: this link would make a cycle: %(path)s"),
    _l("Task “%(title)s” moved by %(days)s days because “%(cause)s” slipped: now %(start)s to %(due)s"),
    _l("Task %(id)s does not exist"),
    _l("Give the task a title"),
    _l("%(field)s can't be before the start"),
    _l("You are not on the team of this project"),
    _l("Choose the task that comes first"),
    _l("Choose the task that follows"),
    _l("Unknown state: %(state)s"),
    _l("Write the comment"),
    _l("Write the checklist item"),
    _l("%(field)s must be between 1 and 1440 minutes"),
    _l("New task “%(title)s”, due %(due)s"),
    _l("%(field)s is not valid JSON"),
    _l("%(field)s must be a list of at most %(max)s steps"),
    _l("%(field)s must be an object"),
    _l("%(field)s: the key %(key)s is used twice"),
    _l("%(field)s: give the task a title"),
    _l("%(field)s: name a role or a person"),
    _l("%(field)s must be a whole number of working days from 0 to %(max)s"),
    _l("%(field)s must be a number of hours"),
    _l("Unknown event: %(event)s"),
    _l("Process template %(id)s does not exist"),
    _l("Reminder: task “%(title)s” is due %(due)s"),
    _l("Task “%(title)s” is late: it was due %(due)s"),
    _l("%(started)s business processes started"),
    _l("Business processes"),  # the resource's name on the permission pages
    _l("%(reminded)s reminders, %(sent)s e-mails sent, %(failed)s failed"),
    _l("%(field)s: files of type .%(ext)s are not accepted (allowed: %(allowed)s)"),
    _l("%(field)s: the file is larger than %(mb)s MB"),
    _l("%(field)s: the file is empty"),
    _l("File %(id)s does not exist"),
    _l("Project %(project)s delays this order by %(days)s working days: task “%(task)s” ends on %(date)s"),
)
