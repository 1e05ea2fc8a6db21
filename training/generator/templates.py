"""Template families. Each family is a function (D, r) -> dict(text, context, labels, disc, note, speaker).
D is an industry record from slots.IND with its name under D['name']."""
from slots import FIRST, SURN, DAYS, MONTHS, DATES, TIMES, AMT, SMALL, BIG, TEAMS, POSTCODES


def env(r):
    return {"{amt}": r.choice(AMT), "{small}": r.choice(SMALL), "{big}": r.choice(BIG), "{day}": r.choice(DAYS), "{month}": r.choice(MONTHS),
            "{date}": r.choice(DATES), "{time}": r.choice(TIMES)}


def fill_env(s, e):
    for k, v in e.items():
        s = s.replace(k, v)
    return s


def fill(s, r):
    return (s.replace("{amt}", r.choice(AMT)).replace("{small}", r.choice(SMALL)).replace("{big}", r.choice(BIG))
             .replace("{day}", r.choice(DAYS)).replace("{month}", r.choice(MONTHS)).replace("{date}", r.choice(DATES))
             .replace("{time}", r.choice(TIMES)).replace("{team}", r.choice(TEAMS)).replace("{pc}", r.choice(POSTCODES))
             .replace("{name}", r.choice(FIRST)).replace("{sur}", r.choice(SURN)))


def cap(s):
    return s[:1].upper() + s[1:]


def low(s):
    return s[:1].lower() + s[1:] if not s.startswith("I ") and not s.startswith("I'") else s


def prob(D, r):
    c, rs, n = r.choice(D["p"])
    e = env(r)
    return fill_env(c, e), fill_env(rs, e), n


def R(speaker, labels, text, context="", disc=False, note=""):
    text = text.replace("today now", "today").replace("now now", "now")
    return dict(speaker=speaker, labels=sorted(set(labels)), text=text, context=context, disc=disc, note=note)


NEUTRAL_A = ["Let me just bring that up.", "Bear with me a second.", "Okay.", "Right.", "Let me have a look.",
             "Give me two ticks.", "Okay, one moment while it loads.", "Right, bear with me.", "Let me see here.",
             "Just looking at the notes now.", "Okay, let me check what's happened."]
NEUTRAL_TAIL = ["Is that okay?", "Does that sound alright?", "Bear with me while I do that.", "Just give me a moment.",
                "It'll show on the account shortly.", ""]

# ---------------- complaint (customer) ----------------
CPRE = ["", "", "Hi, yeah, ", "Hiya. ", "Hello, I'm calling because ", "Right, so ", "I want to make a complaint. ",
        "I'll be honest, I'm fed up. ", "Morning. Um, ", "This is the third time I've rung about this. ", "Yeah, hi. Basically, ",
        "I've already explained this twice, but ", "Look, "]
CPOST = ["", "", "", " It's just not good enough.", " And nobody's called me back.", " I'm really not happy.",
         " What are you going to do about it?", " I've had enough, honestly.", " I shouldn't have to keep chasing this.",
         " Can someone actually sort it this time?", " It's ridiculous.", " I've been a customer for twelve years."]


def complaint_pos(D, r):
    c, rs, n = prob(D, r)
    pre = r.choice(CPRE)
    body = c if not pre or pre.endswith(". ") or pre == "" else low(c)
    return R("customer", ["complaint"], (pre + body + r.choice(CPOST)).strip())


GEN_COMPLAINT = ["That's it? A note on the account?", "A note. Right. Great.", "So I just wait again, do I?",
  "I've been on hold for forty minutes to get to you.", "Nobody ever rings back when they say they will.",
  "That's not what the last person told me.", "I've been passed from department to department all morning.",
  "Your website just goes round in circles.", "The chap I spoke to yesterday was really rude to me.",
  "Why does it take three phone calls to get anything done with you lot?", "You said that last week.",
  "I was promised a callback on {day} and I'm still waiting.", "I've sent the same form three times now.",
  "And I'm meant to be grateful for that?", "That's a joke, honestly.", "Well that's no use to me, is it?",
  "I'm paying for a service I'm not getting.", "I've had four different answers from four different people.",
  "Your chatbot is useless, it kept telling me to ring you.", "I got cut off twice trying to get through.",
  "Frankly I'm thinking of leaving.", "Nobody told me any of this when I signed up.",
  "So you'll have taken my money and I've got nothing to show for it.", "This has been going on since {month}.",
  "Two weeks. Two weeks I've been waiting for that email.", "I didn't agree to any of this.",
  "It's the same thing every single time I ring."]


def complaint_generic(D, r):
    return R("customer", ["complaint"], fill(r.choice(GEN_COMPLAINT), r))


NOT_CAUSED = ["A tree came down in the storm last night and it's gone straight through the garage roof.",
  "Someone's taken money out of my account, I think my card's been cloned.", "I've lost my purse with my card in it.",
  "I put the wrong meter reading in last month, that's my fault, so I need to fix it.",
  "I accidentally booked the wrong date, I need to move it.", "My son's spilt juice all over the laptop.",
  "I think I've been scammed, a man on the phone said he was from the bank and I gave him a code.",
  "The flood's come into the kitchen, the river burst its banks.", "I forgot to cancel before the trial ended, silly me.",
  "We've had a break-in and they took the TV and my bank cards.", "I've locked myself out of the app, forgot the password.",
  "My dog's been poorly and the vet says he needs an operation.", "Next door's tree has damaged our fence in the wind.",
  "I'm moving house next month and I need to sort the account.", "I typed my email address wrong when I signed up.",
  "I missed the delivery because I was at work, can I rebook it?", "I've broken my wrist so I can't get to the branch.",
  "My husband passed away last month and I need to take his name off.", "I got the dates mixed up, that's on me."]
PLAIN = ["Yes, that's right.", "It's {pc}.", "Yeah, go on.", "Okay.", "Thank you, that's great.", "Lovely, thanks.",
  "No, that's everything.", "Twenty-seven Cobden Road.", "Yes please.", "Can I pay by card?", "How long will that take?",
  "What time do the lines close?", "Okay, that makes sense.", "Brilliant, thanks so much.", "Sure, hang on, let me find it.",
  "It's the 14th of March 1982.", "That's fine, {day} works.", "Do I need to do anything else?", "Yeah, I've got a pen.",
  "I'd like to upgrade my package.", "I'm just ringing to check my balance.", "Can I add my wife to the account?",
  "Is it possible to change my payment date to the 15th?", "I want to book an appointment.", "Oh right, okay.",
  "That's brilliant, thank you for sorting it.", "Sorry, I haven't got the letter in front of me.", "Mm, okay.",
  "Cheers, you've been really helpful.", "Yeah, that's the one.", "Go on then.", "I'll wait.", "Perfect.",
  "No, I'm happy with that.", "What's the cheapest tariff you do?", "Can you tell me when my contract ends?"]


def complaint_neg(D, r):
    if r.random() < 0.45:
        return R("customer", [], r.choice(NOT_CAUSED), note="problem not caused by the organisation")
    return R("customer", [], fill(r.choice(PLAIN), r), note="plain answer, request or agreement")


# ---------------- hear ----------------
HEAR_T = ["So just so I've got this right, {r}?", "Okay, so {r}.", "Right, so {r}, is that correct?",
  "Let me make sure I understand. {R}, yes?", "So what you're saying is {r}.", "Okay. {R}. Got it.",
  "Right, {r}. And how long has that been going on?", "Okay, so {r}. Has anything changed on your side?",
  "Just to check I've understood, {r}, and you want that sorted today?", "Mm, so {r}, and no one's been in touch about it?",
  "So {r}. Okay. Bear with me.", "Right, okay, {r}. Let me have a look.", "Okay, {r}, that's what I'm hearing?",
  "Got it, so {r} and this started around {day}?", "So basically {r}. Okay."]
CLAR = ["When did you first notice it?", "And is it every time, or just now and then?", "Has this happened before, or is it the first time?",
  "Roughly what time of day does it happen?", "Did anyone give you a reference when you called before?", "Which date was that on?",
  "And was that the full amount or just part of it?", "Is it all of them or just the one?", "What did the message say exactly?",
  "Did the engineer leave a card or anything?", "Is that on the app or the website?", "Which branch was it?",
  "Was that the first payment or the second one?", "And did it work at all after that, or not since?"]


def hear_pos(D, r):
    c, rs, n = prob(D, r)
    x = r.random()
    if x < 0.6:
        t = r.choice(HEAR_T).replace("{r}", rs).replace("{R}", cap(rs))
        if r.random() < 0.3:
            t = r.choice(NEUTRAL_A) + " " + t
        return R("agent", ["hear"], t, c)
    if x < 0.85:
        q = r.choice(CLAR)
        pre = r.choice(["", "Okay. ", "Right, ", "Okay, and ", "Mm. "])
        q = pre + (low(q) if pre.endswith(", ") or pre.endswith("and ") else q)
        return R("agent", ["hear"], q, c, note="clarifying question about the problem")
    t = r.choice(["Okay, {r}, and you've been chasing it since. Let me look into that for you.",
                  "So {r}. That's what we need to fix then.", "Right. {R}. And you've had nothing from us in writing?"])
    return R("agent", ["hear"], t.replace("{r}", rs).replace("{R}", cap(rs)), c)


BACKCH = ["Okay.", "Mm-hm.", "Right.", "Yeah.", "I see.", "Okay, yeah.", "Sure.", "Uh-huh.", "Right, okay.", "Go on.",
          "Yep.", "Okay, bear with me.", "Mm.", "Ah, okay.", "Right, I see."]
CAUSE = ["What's happened there is the direct debit failed at our end, so it's gone out twice.",
  "That's because the meter stopped sending readings in October, so the bills were estimated.",
  "The reason is the price went up on the 1st of April for everyone.", "It looks like the system didn't pick up the travel notice.",
  "So the courier's system marked it delivered when the driver scanned it at the depot.", "That'll be because the offer ended last month.",
  "The engineer's job was cancelled by the system when the appointment moved.", "It's because the form came in after the cut-off.",
  "What's happened is the payment was sent to the old account.", "The fault's at the exchange, not in your house."]
NAV = ["Let me just pull your account up.", "Bear with me while the system loads.", "I'm just going into the billing screen now.",
  "One moment, I'm opening the notes.", "Let me put you on a short hold while I check.", "Okay, I'm running a line test now.",
  "Just checking the readings on here.", "Right, I'm going through the history."]


def hear_neg(D, r):
    c, rs, n = prob(D, r)
    x = r.random()
    if x < 0.3:
        return R("agent", [], r.choice(BACKCH), c, note="bare backchannel, no reference to the problem")
    if x < 0.5:
        return R("agent", [], r.choice(CAUSE), c, note="explains the cause; not restating")
    if x < 0.7:
        return R("agent", [], r.choice(NAV), c, note="routine navigation / look-up")
    if x < 0.85:
        t = r.choice(["Sorry about {n}.", "I'm really sorry about {n}.", "Apologies for {n}.", "Sorry about all the hassle with {n}."]).replace("{n}", n)
        return R("agent", ["apologize"], t, c, note="problem named only inside an apology: not hear")
    return R("agent", [], r.choice(["Sorry, you broke up there, could you say that again?", "Sorry, the line's terrible, can you repeat that?",
              "I lost you for a second, what was the last bit?", "Sorry, could you say that again?"]), c, note="asking to repeat: not hear, not apologize")


# ---------------- empathize ----------------
EMP = ["I can understand how frustrating that is.", "That must be really worrying.", "I'm sorry to hear that.",
  "I'd be annoyed too, to be honest.", "That sounds really stressful.", "Oh no, that's not what you need.",
  "I can imagine that's been a real headache.", "That must have been a shock.", "I completely understand why you're upset.",
  "Oh, that's horrible, I'm sorry to hear that.", "I know how stressful that can be.", "That's really not nice to deal with.",
  "I can hear how fed up you are, and that's fair enough.", "Goodness, that must have been awful.", "I'd be worried too in your position.",
  "That sounds exhausting, honestly.", "I can see why that would upset you.", "That's a lot to deal with on top of everything.",
  "Oh dear, that's really not good enough for you.", "I hear you, that's maddening.", "I know, it's a real pain.", "That's a horrible position to be in.",
  "I can only imagine how that felt.", "That must be wearing you down by now.", "I get it, you just want it sorted.", "That's really unsettling, I'm sorry to hear it."]
EMP_TAIL = ["", "", " Let me have a look at the account.", " Let's see what we can do.", " Bear with me and I'll find out what's happened.",
            " Okay, let me just bring it up."]


def emp_pos(D, r):
    c, rs, n = prob(D, r)
    x = r.random()
    if x < 0.6:
        e = r.choice(EMP)
        tail = r.choice(EMP_TAIL)
        labels = ["empathize"]
        return R("agent", labels, e + tail, c)
    if x < 0.8:
        t = r.choice(["{R}, that must be so frustrating.", "Oh no, so {r}? That must be really stressful.",
                      "{R}. I can completely understand why you're fed up."]).replace("{r}", rs).replace("{R}", cap(rs))
        return R("agent", ["empathize", "hear"], t, c, note="empathy quoting the customer's facts back")
    nc = r.choice(NOT_CAUSED[:3] + NOT_CAUSED[10:11] + NOT_CAUSED[5:6] + NOT_CAUSED[16:18])
    e = r.choice(["Oh, I'm so sorry to hear that.", "That must be really upsetting.", "I'm sorry, that's awful.", "Oh no, I'm sorry to hear that, that's horrible.", "That sounds really difficult."])
    return R("agent", ["empathize"], e + r.choice(["", " Let's get that sorted for you.", " Don't worry, we'll go through it together."]), nc,
             note="sympathy for a situation the organisation did not cause")


EMP_NEG = ["No problem.", "Thank you.", "Congratulations on the new house!", "No need to apologise.", "That's fine.", "Lovely.",
  "No worries at all.", "Great, glad that's sorted.", "Not a problem, happy to help.", "Oh, congratulations!", "You're welcome.",
  "Thanks for your patience.", "That's no bother at all.", "Don't worry about it, it's all fine.", "Perfect, thank you.",
  "Ah, lovely, a new baby, congratulations.", "Brilliant.", "That's absolutely fine, take your time."]


def emp_neg(D, r):
    return R("agent", [], r.choice(EMP_NEG), note="politeness alone, not empathy")


# ---------------- apologize ----------------
APO = ["I'm sorry for the delay.", "I apologise that nobody called you back.", "Sorry about that mix-up.", "Sorry about the wait.",
  "Sorry if that wasn't made clear.", "I can only apologise for that.", "I'm really sorry, that's not the service we want to give you.",
  "Apologies for the confusion.", "Sorry you've had to chase this.", "Sorry for keeping you on hold so long.",
  "I'm sorry nobody let you know.", "I do apologise for the inconvenience.", "Sorry it's taken so long to sort out.",
  "I'm so sorry, that should never have happened.", "On behalf of the company, I'm sorry.", "I apologise for the trouble this has caused.",
  "Sorry for the hassle.", "Sorry about that, that's our mistake.", "My apologies, you should have been told.",
  "I'm sorry you were given the wrong information.", "Really sorry about {n}.", "I'm sorry about {n}, genuinely.",
  "Apologies for {n}.", "Sorry for all the back and forth on this.", "I'm sorry you've been passed around.",
  "I'm sorry we've let you down here.", "Sorry, that's not good enough from us.", "I'm sorry it's come to a third call.", "I do apologise for the wait today.",
  "Really sorry you've had to wait in for nothing.", "Sorry it wasn't explained properly at the time.", "I'm sorry about how long {n} has taken.",
  "That's our mistake and I apologise.", "I'm sorry, you shouldn't have been charged for that.", "Sorry we didn't get back to you when we said."]


def apo_pos(D, r):
    c, rs, n = prob(D, r)
    a = r.choice(APO).replace("{n}", n)
    x = r.random()
    if x < 0.5:
        return R("agent", ["apologize"], a, c)
    if x < 0.7:
        return R("agent", ["apologize"], a + " " + r.choice(NEUTRAL_A), c)
    if x < 0.85:
        t = r.choice(["So {r}. {A}", "Right, {r}, and no one rang you. {A}"]).replace("{r}", rs).replace("{A}", a)
        return R("agent", ["apologize", "hear"], cap(t), c)
    t = r.choice(["I'm sorry for all the worry this has caused.", "Sorry for all the stress we've put you through.",
                  "I'm really sorry, I know it's been a worrying few days for you."])
    return R("agent", ["apologize", "empathize"], t, c, note="apology for the customer's worry: both")


APO_NEG = [("Sorry, could you repeat that?", [], "asking to repeat"), ("Sorry, one moment.", [], "procedural sorry"),
  ("Sorry, I should have asked that first.", [], "slip in the call's own procedure"), ("Sorry?", [], "asking to repeat"),
  ("Sorry, say again?", [], "asking to repeat"), ("I'm sorry to hear that.", ["empathize"], "sorry to hear is empathize"),
  ("That shouldn't have happened.", [], "no apology word"), ("Sorry, I didn't catch the postcode.", [], "asking to repeat"),
  ("Sorry, I'll just pop you on hold.", [], "procedural sorry"), ("Sorry, I mean the 14th, not the 4th.", [], "correcting own slip"),
  ("Sorry, you're breaking up a bit.", [], "line quality"), ("That's not right, that shouldn't be on there.", [], "no apology word"),
  ("Oh, I'm so sorry to hear about the flood.", ["empathize"], "sorry to hear is empathize"),
  ("Sorry, bear with me, the system's slow today.", [], "procedural sorry"),
  ("Sorry, I forgot to ask, is this the address we should send it to?", [], "slip in the call's own procedure"),
  ("Sorry, can I just take your name again?", [], "procedural sorry"), ("Sorry, was that B for bravo?", [], "asking to repeat"),
  ("Oh, sorry, I talked over you there. Go on.", [], "conversational sorry"),
  ("Sorry to hear you've been poorly.", ["empathize"], "sorry to hear is empathize")]
CUST_SORRY = ["Sorry, I haven't got the letter with me.", "Oh sorry, it's the other card.", "Sorry, I'm a bit flustered.",
  "Sorry, that was my fault, I gave the wrong date.", "Sorry, can you say that again?", "Sorry for shouting earlier.",
  "Sorry, the dog's barking.", "Sorry, I'm in the car."]


def apo_neg(D, r):
    if r.random() < 0.2:
        return R("customer", [], r.choice(CUST_SORRY), note="customer apologising")
    t, l, note = r.choice(APO_NEG)
    return R("agent", l, t, note=note)


# ---------------- take_action ----------------
DONE_F = ["I've {d}.", "Right, I've {d}.", "Okay, so I've {d}.", "That's done, I've {d}.", "I've gone ahead and {d}.",
          "Okay, all sorted, I've {d}.", "So what I've done is {d}.", "Right, that's {d} for you.".replace("that's {d}", "I've {d}"),
          "I've just {d}, you'll get a confirmation text."]
WILL_F = ["What I'll do is {w}.", "I'll {w} now.", "I'm going to {w} for you.", "Here's what I'm going to do: I'll {w}.",
          "Let me {w} for you now.", "I'll {w}, and you'll get an email to confirm.", "Right, I'm going to {w} straight away.",
          "Leave it with me, I'll {w}.", "So the next step is I'll {w}."]
GEN_ACT = ["I'm escalating this to our {team} now, and they'll call you by {time} {day}.", "I've raised a formal complaint with the {team}, reference C-4471.",
  "I'll call you back myself at {time} {day} with an update.", "That payment's gone through now, {amt}.",
  "If you send me the statement, I'll refund the charges.", "I've put a hold on the reminder letters while this is looked at.",
  "I've stopped the debt collection and put the account on hold for thirty days.", "I've changed the address on the account to the new one.",
  "I've cancelled the direct debit, so nothing more will go out.", "I've booked you in for {day} at {time}.",
  "I've updated your email address, so the bills will go there from now on.", "I've taken the {amt} payment, that's gone through.",
  "I've passed it to the {team} as urgent and booked a callback for {time} {day}."]


def act_pos(D, r):
    d, w = r.choice(D["a"])
    x = r.random()
    if x < 0.45:
        t = r.choice(DONE_F).replace("{d}", fill(d, r))
    elif x < 0.8:
        t = r.choice(WILL_F).replace("{w}", fill(w, r))
    else:
        t = fill(r.choice(GEN_ACT), r)
        return R("agent", ["take_action"], t)
    if r.random() < 0.25:
        t = t + " " + r.choice(NEUTRAL_TAIL)
    disc = "card ending" in t
    return R("agent", ["take_action"], t.strip(), prob(D, r)[0] if r.random() < 0.5 else "", disc=disc)


ACT_NEG = [("Let me pull up your account.", "look-up"), ("I'm running a line test now.", "check"), ("I can send an email if you like.", "offer not taken up"),
  ("It'll get looked at.", "vague promise"), ("Someone might call you.", "vague promise"), ("You'll get a letter in the next week or so.", "happens without the agent"),
  ("The overpayment comes off your next bill.", "happens without the agent"), ("Done.", "bare done"), ("I've made a note on the account that you called.", "note that only records"),
  ("Let me check with my supervisor.", "look-up"), ("We'll see what we can do.", "vague"), ("I'll have a look at the readings.", "look-up"),
  ("Would you like me to book an engineer?", "offer not taken up"), ("I could raise a complaint for you if you want.", "offer not taken up"),
  ("Refunds usually take three to five working days.", "information"), ("These things happen, unfortunately.", "vague"),
  ("I'll look into it.", "vague"), ("Someone from the team should be in touch at some point.", "vague"), ("Let me just check the history.", "look-up"),
  ("I've noted that down.", "note that only records"), ("The system will update overnight.", "happens without the agent"),
  ("I'm just checking whether there's an engineer slot.", "check"), ("I'll see if there's anything I can do.", "vague"),
  ("Okay, done.", "bare done"), ("You can request a refund on the website.", "customer does it"), ("It should sort itself out.", "vague"),
  ("I've put a note on saying you're unhappy with the service.", "note that only records"), ("Let me see what options there are.", "look-up"),
  ("If you want, I can put a complaint in.", "offer not taken up"), ("The courier will try again tomorrow.", "happens without the agent"),
  ("You'll get an automatic text when it's dispatched.", "happens without the agent"), ("I'll pass on your feedback.", "vague"),
  ("Let me just run a quick check on the line.", "check"), ("I'm reading through the notes from your last call.", "look-up")]


def act_neg(D, r):
    t, note = r.choice(ACT_NEG)
    return R("agent", [], t, prob(D, r)[0], note=note)


# ---------------- verify ----------------
VER = ["Can I take your full name and date of birth, please?", "Can you confirm the first line of the address and the postcode?",
  "Before I go into the account, can I take the {ref}?", "What's the {ref}, please?", "Thanks, that's you verified.",
  "Lovely, that all checks out.", "I've sent a one-time code to your mobile, can you read it out to me?", "Can you give me the passcode on the account?",
  "And what's the answer to your security question?", "Can you confirm the phone number registered on the account?",
  "Great, you're through security.", "Thank you, that matches what we have.", "And your date of birth, please?",
  "Can I just take the postcode to confirm it's you?", "Could you tell me the first and fourth characters of your password?",
  "Thanks, and can I take your name and the postcode to go through security?", "Perfect, that's all matched, thank you.",
  "For security, can you confirm your address for me?", "Can I take the {ref} to confirm it's you?",
  "Can you read me the code we've just texted to you?", "What's the first line of your address?", "And the postcode there?",
  "Can I get your date of birth and the postcode, please?", "I just need to ask you a couple of security questions first. What's your date of birth?",
  "Thank you, that's all correct.", "Great, that's you passed security.", "Can I take the {ref}, and your date of birth?",
  "Is the address still {num} {street}? Just to confirm it's you.".replace("{num} {street}", "the same as on the account, can you tell me what it is")]


CONFIRMS = {"Thanks, that's you verified.", "Lovely, that all checks out.", "Great, you're through security.", "Thank you, that matches what we have.",
            "Perfect, that's all matched, thank you.", "Thank you, that's all correct.", "Great, that's you passed security."}


def ver_pos(D, r):
    t = r.choice(VER).replace("{ref}", D["ref"])
    x = r.random()
    if x < 0.25 and t in CONFIRMS:
        c, rs, n = prob(D, r)
        t2 = t + " " + r.choice(["So {r}?", "Okay, so {r}, yes?"]).replace("{r}", rs)
        return R("agent", ["verify_identity", "hear"], t2, c)
    if x < 0.55 and not t.startswith("And "):
        t = r.choice(["No problem. ", "Okay, I can help with that. ", "Sure. ", "Right, let's have a look. ", "I can look into that for you. ",
                      "Okay, first I need to get you through security. ", "Of course. ", "Right, before anything else, ", "That's fine. ",
                      "Lovely, thanks. ", "Okay, bear with me. "]) + t
        t = t.replace("else, C", "else, c").replace("else, W", "else, w").replace("else, T", "else, t").replace("else, A", "else, a").replace("else, L", "else, l").replace("else, P", "else, p").replace("else, G", "else, g").replace("else, I'", "else, I'").replace("else, F", "else, f")
    return R("agent", ["verify_identity"], t)


VER_NEG = [("Can I take your name?", "name alone"), ("Who am I speaking to?", "name alone"), ("Is that the number you're calling from?", "calling number"),
  ("What's the email address on the account so I can find you?", "email only to find the account"), ("Have you got the tracking number?", "parcel tracking number"),
  ("Can I take the long card number for the payment?", "card number to take a payment"), ("Where would you like us to leave it if you're out?", "delivery preference"),
  ("What's the best number to call you back on?", "contact number, not verification"), ("And your first name?", "name alone"),
  ("Can you read me the tracking number off the card?", "parcel tracking number"), ("What card would you like to pay with?", "payment"),
  ("I've found you from the number you're calling on.", "calling number"), ("Would you prefer a text or an email?", "contact preference"),
  ("Can you spell your surname for me?", "name alone"), ("Which email should I send the confirmation to?", "contact detail"),
  ("What's the expiry on the card you want to use? Just the month for now.", "payment")]


def ver_neg(D, r):
    t, note = r.choice(VER_NEG)
    return R("agent", [], t, note=note)


# ---------------- disclosure ----------------
def disc_pos(D, r):
    d = fill(r.choice(D["d"]), r)
    x = r.random()
    if x < 0.5:
        return R("agent", [], d, disc=True, note="account-specific data")
    if x < 0.75:
        t = r.choice(["Okay, I've found you from the number you're calling on. ", "Right, I can see the account here. ", "Yep, got you. ", "Okay, so looking at it, "]) + (d if r.random() < 0.5 else low(d))
        return R("agent", [], t, disc=True, note="account-specific data")
    c, rs, n = prob(D, r)
    t = r.choice(["Yes, I can see that on here, {r}.", "Okay, yeah, that's showing here: {r}.", "Right, I've got it up, and yes, {r}."]).replace("{r}", rs)
    return R("agent", ["hear"], t, c, disc=True, note="confirms the problem from the account; account data")


def disc_neg(D, r):
    g = fill(r.choice(D["g"]), r)
    return R("agent", [], g, disc=False, note="general information, not about this customer")


# ---------------- opening / closing ----------------
def opening(D, r):
    org = r.choice(D["org"]); nm = r.choice(FIRST)
    parts = []; labels = []
    g = r.choice(["Good morning", "Good afternoon", "Hello", "Hi there", "Morning", "Good evening", "Hiya"])
    parts.append(g); labels.append("greeting")
    if r.random() < 0.7:
        parts.append(r.choice([f"thanks for calling {org}", f"welcome to {org}", f"you're through to {org}", f"{org}"])); labels.append("company_name")
    elif r.random() < 0.5:
        parts.append(r.choice(["council tax", "cards and payments", "customer services", "reception", "the billing team"]))
    if r.random() < 0.7:
        parts.append(r.choice([f"my name's {nm}", f"you're speaking with {nm}", f"{nm} speaking", f"this is {nm}"])); labels.append("agent_name")
    text = ", ".join(parts) + "."
    if r.random() < 0.3:
        text += " " + r.choice(["Calls are recorded for training and quality.", "Just to let you know this call may be recorded.", "This call is recorded for security."]); labels.append("recording_notice")
    if r.random() < 0.75:
        text += " " + r.choice(["How can I help?", "How can I help you today?", "What can I do for you?", "What are you calling about today?",
                                "What's the reason for your call?", "How may I help?", "What can I help you with this afternoon?", "What's brought you to call us today?"]); labels.append("offer_help")
    elif r.random() < 0.4:
        text += " Go ahead."
    return R("agent", labels, cap(text))


CLOSE = ["Is there anything else I can help with?", "Thanks for calling, bye.", "Bye.", "Have a lovely afternoon, take care.",
  "Anything else today?", "Is there anything else you wanted to go through?", "Thanks for calling {org}, have a good evening.",
  "Okay, you take care, bye now.", "Was there anything else at all?", "Lovely, thanks for your call. Bye bye.",
  "Right, that's everything then. Thanks for calling.", "Cheers, {name}, have a good day.", "Anything else I can do for you while you're on?",
  "Okay, enjoy the rest of your day, goodbye.", "Thank you for calling, take care now."]
CLOSE_NEG = [("Thanks for bearing with me.", "thanks for holding, not closing"), ("Thank you for that.", "thanks for details"),
  ("Thanks, I've got that.", "thanks for details"), ("Thanks for holding.", "thanks for holding"), ("Okay, next thing is the meter reading.", "mid-call"),
  ("Thanks, that's helpful to know.", "mid-call thanks")]


def closing_pos(D, r):
    return R("agent", ["closing"], r.choice(CLOSE).replace("{org}", r.choice(D["org"])).replace("{name}", r.choice(FIRST)))


def closing_neg(D, r):
    t, n = r.choice(CLOSE_NEG)
    return R("agent", [], t, note=n)


def offer_neg(D, r):
    t, l, n = r.choice([("Go ahead.", [], "go ahead is not an offer of help"), ("Okay, go on.", [], "not an offer of help"),
                        ("Is there anything else I can help you with?", ["closing"], "end-of-call offer is closing"),
                        ("Hello, council tax, Cerys speaking.", ["greeting", "agent_name"], "team name is not a company name"),
                        ("Hi, cards and payments, how can I help?", ["greeting", "offer_help"], "team name is not a company name")])
    return R("agent", l, t, note=n)


# ---------------- compositional hard negatives (v2) ----------------
LOOK_V = ["Let me pull up", "Let me bring up", "I'll just open", "Let me have a quick look at", "I'm just checking", "Bear with me while I go into",
          "I'm going through", "Let me just look at", "I'll check", "Okay, I'm looking at", "Give me a sec to load", "Let me read"]
LOOK_O = ["your account", "the notes", "the history", "what's happened", "the account history", "the last few notes", "what the last adviser put",
          "your details", "the details on here", "the system", "the account notes", "what we've got on file"]
LOOK_T = ["", " now", " for you", " while you're on", " quickly", ", it's a bit slow today", " and see what's going on", " and I'll tell you what I can see"]
CHECKS = ["I'm running a line test now.", "I'm just doing a remote check on the meter.", "Let me run a quick diagnostic on the router.",
          "I'm just pinging the meter to see if it responds.", "I'll run a check on the card to see why it declined.",
          "Let me see if the system's got any slots.", "I'm checking whether the payment's cleared."]
OFFER_F = ["I can {w} if you like.", "Would you like me to {w}?", "If you want, I could {w}.", "Do you want me to {w}?",
           "One option is I {w}, if that helps?", "I'm able to {w}, is that something you'd want?", "Shall I {w}, or would you rather wait?"]
VAGUE = ["It'll get looked at.", "Someone should get back to you about {n}.", "We'll see what we can do about {n}.", "I'll try and find out more about {n}.",
         "Hopefully {n} gets sorted soon.", "The team will look into {n} at some point.", "I'll mention {n} to someone.", "I'm sure {n} will be fine.",
         "Leave it with us and we'll see.", "Someone might ring you about {n}.", "It's being looked into, I think."]
AUTO = ["You'll get a letter about {n} in the next week or so.", "You'll get an automatic text once it's processed.", "The credit will come off your next bill.",
        "The system will send you an email when it's ready.", "It'll update on the app overnight.", "The courier will try again tomorrow.",
        "Your statement will show the adjustment next month.", "The refund goes back automatically once the return's scanned.",
        "The claims team will write to you with their decision.", "The new rate kicks in from your next payment."]
NOTES = ["I've made a note about {n} on the account.", "I've noted that you called about {n}.", "I've put a note on saying you're unhappy about {n}.",
         "I've recorded your comments about {n}.", "That's noted on your file.", "I've written that down so the next person can see it."]
DONE_BARE = ["Done.", "Okay, done.", "Right, done.", "That's done.", "All done.", "Done, yeah.", "There we go, done."]


def act_neg2(D, r):
    c, rs, n = prob(D, r)
    x = r.random()
    if x < 0.25:
        return R("agent", [], r.choice(LOOK_V) + " " + r.choice(LOOK_O) + r.choice(LOOK_T) + ".", c, note="look-up")
    if x < 0.35:
        return R("agent", [], r.choice(CHECKS), c, note="check / diagnostic")
    if x < 0.6:
        d, w = r.choice(D["a"])
        return R("agent", [], r.choice(OFFER_F).replace("{w}", fill(w, r)), c, note="offer not yet taken up")
    if x < 0.75:
        return R("agent", [], cap(r.choice(VAGUE).replace("{n}", n)), c, note="vague promise")
    if x < 0.87:
        return R("agent", [], r.choice(AUTO).replace("{n}", n), c, note="happens without the agent")
    if x < 0.96:
        return R("agent", [], r.choice(NOTES).replace("{n}", n), c, note="note that only records")
    return R("agent", [], r.choice(DONE_BARE), c, note="bare done")


REPEAT = ["Sorry, could you repeat that?", "Sorry, say that again?", "Sorry, what was that?", "Sorry, I didn't catch the {x}.",
          "Sorry, can you go through the {x} again?", "Sorry, was that the {x}?", "Sorry, I missed the last bit of the {x}."]
REP_X = ["postcode", "date of birth", "reference", "account number", "last part", "house number", "surname", "date", "amount"]
PROC = ["Sorry, one moment.", "Sorry, bear with me.", "Sorry, just a sec, it's loading.", "Sorry, two ticks.", "Sorry, I'll just pop you on hold.",
        "Sorry, the system's a bit slow.", "Sorry, let me just find the right screen.", "Sorry, I'm just reading the notes.", "Sorry, I'll be with you in a second."]
SLIP = ["Sorry, I should have asked that first.", "Sorry, I meant the {d}, not the 1st.", "Sorry, I've said that wrong, it's {amt}.",
        "Sorry, I skipped a step there.", "Sorry, I got your name wrong, it's {name}, isn't it?"]
NO_WORD = ["That shouldn't have happened.", "That's not right at all.", "That's definitely not how it should work.", "Yeah, that's wrong, that.",
           "That should never have been sent.", "That's not what should have happened, no."]


def apo_neg2(D, r):
    c, rs, n = prob(D, r)
    x = r.random()
    if x < 0.3:
        return R("agent", [], r.choice(REPEAT).replace("{x}", r.choice(REP_X)), note="asking to repeat")
    if x < 0.5:
        return R("agent", [], r.choice(PROC), note="procedural sorry")
    if x < 0.65:
        return R("agent", [], fill(r.choice(SLIP).replace("{d}", "{date}"), r), note="slip in the call's own procedure")
    if x < 0.8:
        e = r.choice(["I'm sorry to hear that.", "Sorry to hear about {n}.", "Oh, I'm sorry to hear that, that's rubbish.", "I'm really sorry to hear that."])
        return R("agent", ["empathize"], e.replace("{n}", n), c, note="sorry to hear is empathize, not apologize")
    if x < 0.92:
        return R("agent", [], r.choice(NO_WORD), c, note="no apology word")
    return R("customer", [], r.choice(CUST_SORRY), note="customer apologising")


POLITE = ["No problem.", "No problem at all.", "Not a problem.", "That's fine.", "That's absolutely fine.", "No worries.", "No bother.", "You're welcome.",
          "Thank you.", "Thanks very much.", "Lovely, thank you.", "Perfect.", "Great.", "Brilliant.", "No need to apologise.", "Don't apologise, it's fine.",
          "Congratulations!", "Oh, congratulations.", "Happy to help.", "Take your time.", "Glad I could help.", "Cheers for that.", "Right you are."]
POL_TAIL = ["", "", " Let me just get that for you.", " I'll just update that.", " Go on.", " What's the postcode there?".replace(" What's the postcode there?", " So, what's next?")]
CONGRATS = ["Congratulations on the new baby!", "Oh, congratulations on the new job.", "Congratulations on the move.", "Ooh, congratulations on the engagement!"]


def emp_neg2(D, r):
    if r.random() < 0.15:
        return R("agent", [], r.choice(CONGRATS), note="congratulations is politeness, not empathy")
    return R("agent", [], (r.choice(POLITE) + r.choice(POL_TAIL)).strip(), note="politeness alone")


BC2 = ["Okay.", "Okay, yeah.", "Mm-hm.", "Right.", "Right, okay.", "Yeah.", "Yep.", "I see.", "Ah, I see.", "Sure.", "Uh-huh.", "Mm.", "Okay then.", "Gotcha.", "Fair enough.", "Okay, go on.", "Yeah, yeah."]
CAUSE2 = ["What's happened is {cause}.", "So the reason is {cause}.", "That's because {cause}.", "It looks like {cause}.", "Basically, {cause}."]
CAUSES = ["the direct debit failed at our end", "the system didn't pick up the change", "the form arrived after the cut-off", "the payment went to the old account",
          "the offer ended and it rolled onto the standard rate", "the job was closed by mistake when the appointment moved", "the price went up for everyone in April",
          "the meter stopped sending readings", "the courier scanned it at the depot by mistake", "the fault's at the exchange, not your house",
          "the supplier sent the wrong stock", "the booking was made under a different email"]


def hear_neg2(D, r):
    c, rs, n = prob(D, r)
    x = r.random()
    if x < 0.35:
        return R("agent", [], r.choice(BC2), c, note="bare backchannel, no reference to the problem")
    if x < 0.6:
        return R("agent", [], r.choice(CAUSE2).replace("{cause}", r.choice(CAUSES)), c, disc=False, note="explains the cause; not restating")
    if x < 0.8:
        return R("agent", [], r.choice(LOOK_V) + " " + r.choice(LOOK_O) + r.choice(LOOK_T) + ".", c, note="routine navigation")
    t = r.choice(["Sorry about {n}.", "Really sorry about {n}.", "Apologies for {n}.", "I'm sorry about {n}, that's not good.", "Sorry for the trouble with {n}."]).replace("{n}", n)
    return R("agent", ["apologize"], t, c, note="problem named only inside an apology: not hear")


DOBS = ["14th of March 1982", "2nd of June 1990", "30th of January 1975", "21st of September 2001", "8th of August 1964"]
QS = ["How long will that take?", "Can I pay by card?", "What time do you close?", "Is there a cheaper option?", "Can I do that online?",
      "Do I need to send anything in?", "Will I get an email?", "Can you send me a copy?", "When's my next payment due?", "Can I add my partner?",
      "What's the earliest you've got?", "Is that including VAT?", "Do you do student discounts?", "Can I change my payment date?",
      "How do I give a meter reading?", "Can I pay it off early?", "Is it too late to change my booking?"]
ANS = ["Yes, that's right.", "Yeah, that's correct.", "Yep.", "That's me.", "No, that's everything.", "It's {pc}.", "The {dob}.", "It's {n} {sur}.",
       "Yeah, {day}'s fine.", "Okay, lovely.", "Thanks, that's great.", "Cheers.", "Brilliant, thank you.", "Mm-hm.", "Yeah go on.", "No, that's all.",
       "Okay, that makes sense.", "Right, okay.", "Fine by me.", "Sounds good."]


def complaint_neg2(D, r):
    x = r.random()
    if x < 0.45:
        t = r.choice(ANS).replace("{dob}", r.choice(DOBS)).replace("{n}", r.choice(FIRST))
        return R("customer", [], fill(t, r), note="plain answer or agreement")
    if x < 0.8:
        return R("customer", [], r.choice(QS), note="question")
    return R("customer", [], r.choice(NOT_CAUSED), note="problem not caused by the organisation")


VNEG = ["Can I take your name?", "Can I take your name, please?", "Who am I speaking to?", "And your first name?", "Could I take your surname?",
        "Is that the number you're calling from?", "I've found you from the number you're ringing on.", "What email address is the account under, so I can find it?",
        "Have you got the tracking number?", "Can you read me the tracking number?", "Can I take the long card number for the payment?",
        "Which card would you like to pay with?", "Where should the driver leave it if you're out?", "Do you want it left with a neighbour?",
        "What's the best number to call you back on?", "Would you prefer a text or an email?", "Is a morning or afternoon slot better?",
"Can I take an email for the receipt?", "What name is the booking under?"]


def ver_neg2(D, r):
    return R("agent", [], r.choice(VNEG), note="not identity verification (name alone, calling number, email to find account, tracking number, payment card, preference)")


# ---------------- v3: larger pools for small negative families ----------------
TASKS = ["update my address", "book an appointment", "check my balance", "add a named driver", "cancel my direct debit", "move my payment date",
         "get a copy of my statement", "switch to paperless billing", "give a meter reading", "report a change of circumstances", "ask about the new tariffs",
         "renew my policy", "upgrade my phone", "change the email on the account", "set up a payment plan", "book a collection for some old furniture",
         "add my son to the account", "check when my contract ends", "ask about moving house", "get a settlement figure", "order a repeat prescription",
         "change my seat on the flight", "extend my booking by a night", "pause my membership", "ask about the student discount", "get a parking permit",
         "register a new tenant", "check my tax code", "report a lost card", "get a quote for home insurance", "arrange a callback about my mortgage",
         "book a smart meter installation", "ask about the priority services register", "cancel an order I placed by mistake", "let you know I'm going abroad"]
TFRAME = ["Hi, I'm ringing to {t}.", "I'd like to {t}, please.", "Can you help me {t}?", "Yeah, hi, um, I need to {t}.", "Morning, I just want to {t}.",
          "I was hoping to {t}.", "Is it possible to {t} over the phone?", "My wife asked me to ring and {t}."]
EVENTS = ["A tree came down in the night", "The storm's taken some tiles off the roof", "Someone's cloned my card", "I've lost my wallet", "We've had a burglary",
          "My phone was stolen on the bus", "I reversed into a bollard", "The dog chewed the charger cable", "I've had a fall and I'm in hospital",
          "A pipe burst in the loft while we were away", "My daughter's lost her railcard", "I booked the wrong day by mistake", "I forgot my PIN",
          "I paid the wrong account by mistake", "Someone's been sending me scam texts pretending to be a bank"]
NEEDS = ["and I need to know what to do.", "so what happens now?", "and I'd like to make a claim.", "so I need a new one.", "and I need to cancel it.",
         "can you help?", "so I wondered what my options are.", "and I'm not sure who to ring."]


def complaint_neg3(D, r):
    x = r.random()
    if x < 0.5:
        return R("customer", [], r.choice(TFRAME).replace("{t}", r.choice(TASKS)), note="request, not a complaint")
    return R("customer", [], r.choice(EVENTS) + ", " + r.choice(NEEDS), note="problem not caused by the organisation")


VLEAD = ["", "", "Okay. ", "Lovely. ", "Right, ", "No problem. ", "Sure. ", "Thanks. ", "Okay, first of all, "]
VQ = ["can I take your name?", "who am I speaking with?", "is that the number you're calling from?", "what's the email address on it, so I can find you?",
      "have you got the tracking number there?", "can I take the long card number for the payment?", "which card are you paying with today?",
      "where would you like the driver to leave it?", "what's the best number to reach you on?", "would you prefer a text or an email?",
      "is a morning or an afternoon better for you?", "what name's the booking under?", "can I grab an email for the receipt?",
      "can you spell the surname for me?", "what's your first name?", "is it okay if we leave a message?", "how would you like to pay?",
      "do you want the confirmation sent to the same email?", "would you like paper bills or online?"]


def ver_neg3(D, r):
    q = r.choice(VQ)
    lead = r.choice(VLEAD)
    t = lead + (q if lead.endswith(", ") else cap(q))
    return R("agent", [], t.strip(), note="not identity verification (name alone, calling number, email to find account, tracking number, payment card, preference)")


POL_TAIL2 = ["", "", " I'll just update that for you.", " Let me change that now.", " Go on.", " So, what's the new number?", " Okay, and the new address?",
             " What date suits you?", " Right, let's get that booked.", " Okay.", " Let me just note that down."]


def emp_neg3(D, r):
    t = r.choice(POLITE) + r.choice(POL_TAIL2)
    if r.random() < 0.12:
        t = r.choice(CONGRATS) + r.choice(["", " Right, let's get the account moved over.", " So, what's the new address?"])
    return R("agent", [], t.strip(), note="politeness alone, not empathy")


SLEAD = ["Sorry, ", "Oh, sorry, ", "Sorry, sorry, ", "Ah, sorry, ", "Sorry about that, ".replace("about that, ", ""), "So sorry, "]
SBODY = ["could you repeat that?", "say that again?", "I didn't quite catch that.", "you broke up there, was that the {x}?", "can you give me the {x} again?",
         "what was the {x}?", "one moment.", "bear with me, it's loading.", "just a second.", "I'll pop you on hold for a minute.", "let me just find the right screen.",
         "I'm just reading the notes.", "I should have asked that first.", "I skipped a step.", "I meant the {date}, not the 1st.", "I read that wrong.",
         "I talked over you there, go on.", "the system's being slow.", "I'm just typing that in."]


def apo_neg3(D, r):
    t = r.choice(SLEAD) + r.choice(SBODY).replace("{x}", r.choice(REP_X))
    return R("agent", [], fill(t, r), note="procedural sorry, asking to repeat, or a slip in the call's own procedure")


CLOSE2_A = ["Is there anything else I can help you with today?", "Anything else at all?", "Was there anything else?", "Is that everything for today?",
            "Can I help with anything else?", "Anything else I can do?"]
CLOSE2_B = ["Thanks for calling.", "Thanks for your call.", "Take care.", "Bye for now.", "Have a good day.", "Have a lovely weekend.", "Bye.", "Cheers, bye.",
            "Enjoy the rest of your day.", "Thanks for your patience today, bye."]


def closing_pos2(D, r):
    x = r.random()
    if x < 0.4:
        t = r.choice(CLOSE2_A)
    elif x < 0.75:
        t = r.choice(["Okay, ", "Lovely, ", "Right then, ", "Great, ", ""]) + r.choice(CLOSE2_B)
        t = cap(t) if not t[0].isupper() else t
    else:
        t = r.choice(["That's all updated. ", "Right, that's all sorted. ", "You'll get the email shortly. "]) + r.choice(CLOSE2_A)
    return R("agent", ["closing"], t)


# ---------------- v4: general information (not account data) ----------------
LINES = ["Our phone lines are", "The helpline's", "Customer services is", "The branch is", "Our claims line is", "The office is", "The live chat's",
         "The repairs line is", "The pharmacy counter is", "The depot's"]
HOURS = ["open eight till eight on weekdays", "open nine to five, Monday to Friday", "open twenty-four hours", "open until six on Saturdays",
         "closed on bank holidays", "open from half eight", "open till ten at night", "shut on Sundays"]
AREAS = ["the LS6 area", "parts of Cardiff", "the whole of the town centre", "a few streets near the station", "the north of the city", "your area", "parts of Bristol"]
OUTS = ["There's an outage affecting {a} at the moment", "There's planned maintenance in {a} tonight", "We've got a known fault across {a}",
        "Engineers are working on a burst main in {a}", "There's a power cut reported in {a}"]
ETAS = ["and it should be back by six.", "and we're expecting it fixed by tomorrow morning.", "and there's no time for a fix yet.", "and updates go on our website every hour."]
FACTS = ["Standard delivery is three to five working days.", "Next-day delivery is £4.99.", "The cooling-off period is fourteen days.", "Our cheapest broadband is £22 a month.",
         "Replacement cards take about a week.", "Most refunds go back within five working days.", "The early termination fee is usually the remaining monthly payments.",
         "Paperless billing is free, paper bills are £1.50 a month.", "You can give a meter reading in the app any time.", "The standing charge went up in April for all customers.",
         "We don't charge for the first replacement card.", "Blue badge holders can park free in the hospital car park.", "Bank holiday collections move to the next day.",
         "The student discount is ten percent.", "Appointments can be booked online from seven in the morning.", "Claims need to be made within thirty days.",
         "The price cap changes every three months.", "A new passcode can be set in the app under settings.", "We can't book engineers more than two weeks ahead.",
         "Tickets bought on the day aren't refundable.", "Direct debit payers get a five percent discount.", "Pet policies cover dogs and cats up to eight years old at the start."]


def disc_neg2(D, r):
    x = r.random()
    if x < 0.3:
        t = r.choice(LINES) + " " + r.choice(HOURS) + "."
    elif x < 0.55:
        t = r.choice(OUTS).replace("{a}", r.choice(AREAS)) + ", " + r.choice(ETAS)
    else:
        t = r.choice(FACTS)
    return R("agent", [], t, note="general information, not about this customer")


def combo(D, r):
    """Longer turns with two or three behaviours, as agents really speak."""
    c, rs, n = prob(D, r)
    d, w = r.choice(D["a"])
    act = r.choice(["I've " + fill(d, r) + ".", "What I'll do is " + fill(w, r) + ".", ("I'm going to " + fill(w, r) + ("." if fill(w, r).endswith(("today", "now")) else " now."))])
    x = r.random()
    if x < 0.35:
        t = r.choice(APO[:20]).replace("{n}", n) + " " + act
        labels = ["apologize", "take_action"]
    elif x < 0.6:
        t = r.choice(EMP) + " " + act
        labels = ["empathize", "take_action"]
    elif x < 0.8:
        t = r.choice(["So {r}. ", "Right, {r}. ", "Okay, so {r}, "]).replace("{r}", rs) + act[0].lower() + act[1:] if False else \
            cap(r.choice(["So {r}. ", "Right, {r}. ", "Okay, so {r}. "]).replace("{r}", rs)) + act
        labels = ["hear", "take_action"]
    else:
        t = r.choice(APO[:20]).replace("{n}", n) + " " + r.choice(["That's not on.", "Let me see what's happened.", "Bear with me."]) + " " + act
        labels = ["apologize", "take_action"]
    if r.random() < 0.2:
        t += " " + r.choice(CLOSE2_A)
        labels.append("closing")
    return R("agent", labels, t, c, disc="card ending" in t)
