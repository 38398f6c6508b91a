package seed

import (
	"strconv"
)

var vpTitles = func() []string {
	out := make([]string, len(departments))
	for i, d := range departments {
		out[i] = "Vice President, " + d.name
	}
	return out
}()

// member fills Users[i] for a member. Every per-user string is appended to
// one buffer and cut from a single string afterwards: one allocation for a
// dozen fields.
func (g *userGen) member(i int, parents, reports []int32) {
	r, s := g.r, &g.s
	u := &g.t.Users[i]
	c, gi, si := g.person(i)
	pc := &prepared[c]
	n := g.nick(pc, gi, si)
	ci := r.IntN(len(pc.cities))
	noMail := i > 0 && chance(r, s.FractionNoMail)
	capMail := r.IntN(2) == 0

	b := appendGUID(g.buf[:0], r)
	idEnd := len(b)
	b = appendName(b, pc, gi, si)
	nameEnd := len(b)
	b = g.appendAlias(b, pc, gi, si, n, false)
	nickEnd := len(b)
	b = append(b, '@')
	b = append(b, s.Domain...)
	upnEnd := len(b)
	mailStart, mailEnd := nameEnd, upnEnd
	if capMail && !noMail {
		mailStart = len(b)
		b = g.appendAlias(b, pc, gi, si, n, true)
		b = append(b, '@')
		b = append(b, s.Domain...)
		mailEnd = len(b)
	}
	p0 := len(b)
	if !noMail {
		b = append(b, "SMTP:"...)
		b = append(b, b[mailStart:mailEnd]...)
		b = append(b, "smtp:"...)
		b = append(b, b[nameEnd:nickEnd]...)
		b = append(b, '@')
		b = append(b, g.t.InitialDomain...)
	}
	p1 := p0 + 5 + (mailEnd - mailStart)
	p2 := len(b)
	if chance(r, 0.97) {
		b = append(b, 'E')
		b = strconv.AppendInt(b, int64(100000+i), 10)
	}
	empEnd := len(b)
	if chance(r, 0.7) {
		b = append(b, pc.phone...)
		b = appendDigits(b, r, 9)
	}
	mobEnd := len(b)
	if chance(r, 0.8) {
		b = append(b, pc.phone...)
		b = appendDigits(b, r, 9)
	}
	busEnd := len(b)
	b = append(b, pc.cityCodes[ci]...)
	b = append(b, '-')
	b = strconv.AppendInt(b, int64(between(r, 1, 12)), 10)
	b = append(b, '/')
	b = strconv.AppendInt(b, int64(between(r, 1, 30)*100+r.IntN(60)), 10)
	officeEnd := len(b)
	otherStart := len(b)
	if chance(r, 0.04) {
		b = g.appendAlias(b, pc, gi, si, 0, false)
		b = appendDigits(b, r, 2)
		b = append(b, pick(r, []string{"@gmail.com", "@outlook.com", "@yahoo.com"})...)
	}
	str := string(b)
	g.buf = b

	u.ID = str[:idEnd]
	g.ids[i] = u.ID
	u.DisplayName = str[idEnd:nameEnd]
	u.GivenName, u.Surname = pc.given[gi], pc.surnames[si]
	u.MailNickname = str[nameEnd:nickEnd]
	u.UserPrincipalName = str[nameEnd:upnEnd]
	if !noMail {
		u.Mail = str[mailStart:mailEnd]
		u.ProxyAddresses = g.slice(str[p0:p1], str[p1:p2])
	}
	u.UserType = "Member"
	u.AccountEnabled = i == 0 || !chance(r, s.FractionDisabled)
	u.EmployeeID = str[p2:empEnd]
	u.MobilePhone = str[empEnd:mobEnd]
	if busEnd > mobEnd {
		u.BusinessPhones = g.slice(str[mobEnd:busEnd])
	}
	u.OfficeLocation = str[busEnd:officeEnd]
	if otherStart < len(str) {
		u.OtherMails = g.slice(str[otherStart:])
	}
	u.City, u.State = pc.cities[ci].name, pc.cities[ci].state
	u.Country, u.UsageLocation = pc.country, pc.usage
	if chance(r, 0.85) {
		u.PreferredLanguage = pc.lang
	}
	if chance(r, 0.95) {
		u.CompanyName = s.CompanyName
	}
	u.EmployeeType = "Employee"
	if chance(r, 0.12) {
		u.EmployeeType = "Contractor"
	}
	if chance(r, 0.01) {
		hidden := false
		u.ShowInAddressList = &hidden
	}
	u.CreatedDateTime = createdAt(r, s.Epoch, tenYears)
	g.placeInOrg(i, parents, reports)
}

// placeInOrg sets manager, department and title. The CEO's direct reports
// head one department each; others mostly stay in their manager's.
func (g *userGen) placeInOrg(i int, parents, reports []int32) {
	r, u := g.r, &g.t.Users[i]
	p := parents[i]
	switch {
	case p < 0:
		g.dept[i] = noDept
		u.Department, u.JobTitle = "Executive", "Chief Executive Officer"
		return
	case p == 0:
		d := (i - 1) % len(departments)
		g.dept[i] = uint8(d)
		u.Department, u.JobTitle = departments[d].name, vpTitles[d]
	default:
		d := int(g.dept[p])
		if d == noDept || chance(r, 0.08) {
			d = r.IntN(len(departments))
		}
		g.dept[i] = uint8(d)
		u.Department = departments[d].name
		if reports[i] > 0 {
			u.JobTitle = departments[d].lead
		} else {
			u.JobTitle = pick(r, departments[d].titles)
		}
	}
	u.ManagerID = g.ids[p]
}

// guest fills Users[i] for a B2B guest invited from a partner domain: mail
// at home, UPN <mail with _>#EXT#@<initial domain>, no manager or org data.
func (g *userGen) guest(i int) {
	r, s := g.r, &g.s
	u := &g.t.Users[i]
	c, gi, si := g.person(i)
	pc := &prepared[c]
	n := g.nick(pc, gi, si)
	dom := pick(r, guestDomains)

	b := appendGUID(g.buf[:0], r)
	idEnd := len(b)
	b = appendName(b, pc, gi, si)
	nameEnd := len(b)
	b = g.appendAlias(b, pc, gi, si, n, false)
	localEnd := len(b)
	b = append(b, '_')
	b = append(b, dom...)
	b = append(b, "#EXT#"...)
	nickEnd := len(b)
	b = append(b, '@')
	b = append(b, g.t.InitialDomain...)
	upnEnd := len(b)
	b = append(b, "SMTP:"...)
	b = append(b, b[nameEnd:localEnd]...)
	b = append(b, '@')
	b = append(b, dom...)
	str := string(b)
	g.buf = b

	u.ID = str[:idEnd]
	g.ids[i] = u.ID
	u.DisplayName = str[idEnd:nameEnd]
	u.GivenName, u.Surname = pc.given[gi], pc.surnames[si]
	u.MailNickname = str[nameEnd:nickEnd]
	u.UserPrincipalName = str[nameEnd:upnEnd]
	u.Mail = str[upnEnd+5:]
	u.ProxyAddresses = g.slice(str[upnEnd:])
	u.OtherMails = g.slice(u.Mail)
	u.UserType = "Guest"
	u.CreationType = "Invitation"
	u.ExternalUserState = "Accepted"
	if chance(r, 0.15) {
		u.ExternalUserState = "PendingAcceptance"
	}
	u.AccountEnabled = !chance(r, s.FractionDisabled)
	u.CreatedDateTime = createdAt(r, s.Epoch, threeYears)
	g.dept[i] = noDept
}
