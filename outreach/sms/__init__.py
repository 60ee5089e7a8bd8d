"""SMS outreach: texts to numbers from ads (SmsContact), the do-not-contact list, the templates."""
