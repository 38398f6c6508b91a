package seed

// culture is one naming and location tradition. Tenants of multinational
// companies mix them, and the diacritics are what exercise UPN derivation,
// case-insensitive $filter and JSON escaping downstream.
type culture struct {
	weight      int
	lang        string // preferredLanguage
	usage       string // usageLocation (ISO 3166 alpha-2)
	country     string
	cities      []city
	phone       string // E.164 country prefix with trailing space
	familyFirst bool   // displayName as "Surname Given" (e.g. Vietnamese)
	given       []string
	surnames    []string
}

type city struct{ name, state string }

var cultures = []culture{
	{weight: 26, lang: "en-US", usage: "US", country: "United States", phone: "+1 ",
		cities: []city{{"Seattle", "WA"}, {"Redmond", "WA"}, {"New York", "NY"}, {"Chicago", "IL"}, {"Austin", "TX"}, {"Atlanta", "GA"}, {"San Francisco", "CA"}, {"Boston", "MA"}},
		given: []string{"James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David", "Elizabeth", "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah", "Chris", "Karen",
			"Daniel", "Nancy", "Matthew", "Lisa", "Anthony", "Betty", "Mark", "Sandra", "Steven", "Ashley", "Andrew", "Emily", "Joshua", "Michelle", "Kevin", "Amanda", "Brian", "Melissa", "Tyler", "Rebecca"},
		surnames: []string{"Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson", "Anderson", "Taylor", "Thomas", "Moore", "Jackson", "Martin", "Lee", "Thompson", "White", "Harris", "Clark", "Lewis",
			"Robinson", "Walker", "Young", "Allen", "King", "Wright", "Scott", "Hill", "Green", "Adams", "Baker", "Nelson", "Carter", "Mitchell", "Roberts", "Turner", "Phillips", "Campbell", "Parker", "Evans"}},
	{weight: 8, lang: "en-GB", usage: "GB", country: "United Kingdom", phone: "+44 ",
		cities:   []city{{"London", ""}, {"Manchester", ""}, {"Edinburgh", ""}, {"Reading", ""}},
		given:    []string{"Oliver", "Amelia", "Harry", "Isla", "George", "Ava", "Noah", "Mia", "Jack", "Ivy", "Charlie", "Freya", "Siobhán", "Niamh", "Seán", "Aoife", "Ciarán", "Éabha", "Rhys", "Cerys"},
		surnames: []string{"Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Davies", "Evans", "Thomas", "Roberts", "O'Brien", "O'Connor", "MacDonald", "McKenzie", "Ó Súilleabháin", "Fitzgerald", "Hughes", "Price", "Llewellyn", "Ní Bhriain"}},
	{weight: 8, lang: "es-ES", usage: "ES", country: "Spain", phone: "+34 ",
		cities:   []city{{"Madrid", ""}, {"Barcelona", ""}, {"Valencia", ""}, {"Sevilla", ""}},
		given:    []string{"José", "María", "Antonio", "Carmen", "Manuel", "Lucía", "Francisco", "Sofía", "Javier", "Inés", "Álvaro", "Begoña", "Jesús", "Ángela", "Raúl", "Nuria", "Íñigo", "Pilar", "Óscar", "Rocío"},
		surnames: []string{"García", "Fernández", "González", "Rodríguez", "López", "Martínez", "Sánchez", "Pérez", "Gómez", "Martín", "Jiménez", "Ruiz", "Hernández", "Díaz", "Moreno", "Muñoz", "Álvarez", "Romero", "Núñez", "García-López"}},
	{weight: 6, lang: "es-MX", usage: "MX", country: "Mexico", phone: "+52 ",
		cities:   []city{{"Ciudad de México", ""}, {"Guadalajara", ""}, {"Monterrey", ""}},
		given:    []string{"José", "Guadalupe", "Juan", "María", "Luis", "Verónica", "Jorge", "Mónica", "Andrés", "Adriana", "Héctor", "Xóchitl", "Rubén", "Itzel", "Joaquín", "Yolanda"},
		surnames: []string{"Hernández", "García", "Martínez", "López", "González", "Pérez", "Rodríguez", "Sánchez", "Ramírez", "Cruz", "Flores", "Gómez", "Vázquez", "Jiménez", "Reyes", "Domínguez"}},
	{weight: 9, lang: "de-DE", usage: "DE", country: "Germany", phone: "+49 ",
		cities:   []city{{"Berlin", ""}, {"München", ""}, {"Hamburg", ""}, {"Köln", ""}, {"Düsseldorf", ""}, {"Frankfurt am Main", ""}},
		given:    []string{"Jürgen", "Ursula", "Klaus", "Monika", "Stefan", "Petra", "Jörg", "Sabine", "Uwe", "Käthe", "Lukas", "Lea", "Maximilian", "Anna", "Björn", "Jülide", "Felix", "Hannah", "Günter", "Lena"},
		surnames: []string{"Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz", "Hoffmann", "Schäfer", "Koch", "Bauer", "Richter", "Klein", "Wolf", "Schröder", "Neumann", "Weiß", "Große"}},
	{weight: 7, lang: "fr-FR", usage: "FR", country: "France", phone: "+33 ",
		cities:   []city{{"Paris", ""}, {"Lyon", ""}, {"Toulouse", ""}, {"Nantes", ""}},
		given:    []string{"Zoë", "Hélène", "François", "Chloé", "Théo", "Léa", "Gaëlle", "Noël", "Jérôme", "Anaïs", "Mathéo", "Célia", "Loïc", "Maëlle", "Stéphane", "Inès", "Benoît", "Élodie", "Aurélien", "Cécile"},
		surnames: []string{"Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau", "Lefèvre", "Lefebvre", "Fournier", "Girard", "Bonnet", "Dupont", "Lambert", "Fontaine", "Rousseau", "Mercier"}},
	{weight: 5, lang: "da-DK", usage: "DK", country: "Denmark", phone: "+45 ",
		cities:   []city{{"København", ""}, {"Aarhus", ""}, {"Odense", ""}},
		given:    []string{"Søren", "Mette", "Jørgen", "Birgitte", "Anders", "Signe", "Rasmus", "Ida", "Mads", "Åse", "Bjørn", "Sørine", "Nikolaj", "Freja", "Kåre", "Ærenfried"},
		surnames: []string{"Jensen", "Nielsen", "Hansen", "Pedersen", "Andersen", "Christensen", "Larsen", "Sørensen", "Rasmussen", "Jørgensen", "Madsen", "Kristensen", "Olsen", "Thomsen", "Møller", "Østergaard"}},
	{weight: 5, lang: "pl-PL", usage: "PL", country: "Poland", phone: "+48 ",
		cities:   []city{{"Warszawa", ""}, {"Kraków", ""}, {"Wrocław", ""}, {"Gdańsk", ""}, {"Łódź", ""}},
		given:    []string{"Łukasz", "Małgorzata", "Paweł", "Agnieszka", "Michał", "Katarzyna", "Wojciech", "Żaneta", "Krzysztof", "Grażyna", "Jędrzej", "Aleksandra", "Tomasz", "Ewa", "Maciej", "Joanna"},
		surnames: []string{"Nowak", "Kowalski", "Wiśniewski", "Wójcik", "Kowalczyk", "Kamiński", "Lewandowski", "Zieliński", "Szymański", "Woźniak", "Dąbrowski", "Kozłowski", "Jankowski", "Mazur", "Krawczyk", "Piątek"}},
	{weight: 5, lang: "vi-VN", usage: "VN", country: "Vietnam", phone: "+84 ", familyFirst: true,
		cities:   []city{{"Hà Nội", ""}, {"Thành phố Hồ Chí Minh", ""}, {"Đà Nẵng", ""}},
		given:    []string{"Anh", "Minh", "Hương", "Dũng", "Thảo", "Tuấn", "Linh", "Hùng", "Ngọc", "Quân", "Phương", "Đức", "Trang", "Hải", "Yến", "Thắng"},
		surnames: []string{"Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý"}},
	{weight: 5, lang: "ja-JP", usage: "JP", country: "Japan", phone: "+81 ",
		cities:   []city{{"Tokyo", ""}, {"Osaka", ""}, {"Yokohama", ""}},
		given:    []string{"Haruto", "Yui", "Sōta", "Aoi", "Ren", "Hina", "Yūki", "Sakura", "Kōji", "Yōko", "Takumi", "Mei", "Daiki", "Rin", "Shō", "Emi"},
		surnames: []string{"Satō", "Suzuki", "Takahashi", "Tanaka", "Watanabe", "Itō", "Yamamoto", "Nakamura", "Kobayashi", "Katō", "Yoshida", "Yamada", "Sasaki", "Yamaguchi", "Matsumoto", "Ōta"}},
	{weight: 7, lang: "en-IN", usage: "IN", country: "India", phone: "+91 ",
		cities:   []city{{"Bengaluru", "KA"}, {"Hyderabad", "TG"}, {"Mumbai", "MH"}, {"Pune", "MH"}, {"Chennai", "TN"}},
		given:    []string{"Aarav", "Priya", "Vivaan", "Ananya", "Aditya", "Diya", "Arjun", "Kavya", "Rohan", "Isha", "Sai", "Lakshmi", "Rahul", "Pooja", "Vikram", "Neha"},
		surnames: []string{"Sharma", "Verma", "Gupta", "Patel", "Reddy", "Iyer", "Nair", "Singh", "Kumar", "Das", "Mehta", "Joshi", "Rao", "Chatterjee", "Banerjee", "Pillai"}},
	{weight: 4, lang: "pt-BR", usage: "BR", country: "Brazil", phone: "+55 ",
		cities:   []city{{"São Paulo", "SP"}, {"Rio de Janeiro", "RJ"}, {"Belo Horizonte", "MG"}},
		given:    []string{"João", "Conceição", "Sebastião", "Ana", "Luís", "Júlia", "Antônio", "Letícia", "Vinícius", "Beatriz", "Caio", "Lívia", "Gonçalo", "Mônica"},
		surnames: []string{"Silva", "Santos", "Oliveira", "Souza", "Pereira", "Lima", "Carvalho", "Gonçalves", "Araújo", "Ribeiro", "Magalhães", "Conceição", "Simões", "Guimarães"}},
	{weight: 3, lang: "tr-TR", usage: "TR", country: "Türkiye", phone: "+90 ",
		cities:   []city{{"İstanbul", ""}, {"Ankara", ""}, {"İzmir", ""}},
		given:    []string{"Çağlar", "Şule", "Barış", "Gülşen", "Oğuz", "Ayşe", "Ömer", "Yağmur", "İlker", "Özge", "Mehmet", "Elif"},
		surnames: []string{"Yılmaz", "Kaya", "Demir", "Şahin", "Çelik", "Yıldız", "Yıldırım", "Öztürk", "Aydın", "Özdemir", "Arslan", "Doğan"}},
	{weight: 2, lang: "ar-AE", usage: "AE", country: "United Arab Emirates", phone: "+971 ",
		cities:   []city{{"Dubai", ""}, {"Abu Dhabi", ""}},
		given:    []string{"Mohammed", "Fatima", "Ahmed", "Aisha", "Omar", "Mariam", "Khalid", "Noura", "Yousef", "Layla"},
		surnames: []string{"Al-Farsi", "Al Mansoori", "Haddad", "Al-Hashimi", "Khoury", "Saleh", "Nasser", "Al Zaabi", "Hamdan", "Rahman"}},
}

// departments carry their own ladders so titles and departments agree.
var departments = []struct {
	name   string
	titles []string // individual contributor titles, junior to senior
	lead   string   // title of a manager inside the department
}{
	{"Engineering", []string{"Software Engineer", "Software Engineer II", "Senior Software Engineer", "Principal Software Engineer", "Site Reliability Engineer", "QA Engineer"}, "Engineering Manager"},
	{"Sales", []string{"Sales Development Representative", "Account Executive", "Senior Account Executive", "Solutions Consultant"}, "Sales Manager"},
	{"Marketing", []string{"Marketing Specialist", "Content Strategist", "Product Marketing Manager", "Brand Designer"}, "Marketing Director"},
	{"Finance", []string{"Accountant", "Financial Analyst", "Senior Financial Analyst", "Payroll Specialist"}, "Finance Manager"},
	{"Human Resources", []string{"HR Generalist", "Recruiter", "HR Business Partner", "Talent Acquisition Specialist"}, "HR Manager"},
	{"Legal", []string{"Paralegal", "Corporate Counsel", "Compliance Analyst"}, "General Counsel"},
	{"Operations", []string{"Operations Analyst", "Logistics Coordinator", "Facilities Coordinator", "Procurement Specialist"}, "Operations Manager"},
	{"IT", []string{"Service Desk Analyst", "Systems Administrator", "Identity Engineer", "Network Engineer", "Security Analyst"}, "IT Manager"},
	{"Customer Support", []string{"Support Engineer", "Customer Success Manager", "Technical Account Manager", "Support Specialist"}, "Support Manager"},
	{"Research", []string{"Research Scientist", "Data Scientist", "Applied Scientist", "Research Engineer"}, "Research Director"},
}

// Guest home domains: B2B users invited from partner organisations.
var guestDomains = []string{"fabrikam.com", "northwindtraders.com", "adatum.com", "tailspintoys.com", "wingtiptoys.com", "gmail.com", "outlook.com", "litwareinc.com"}

// Group naming material.
var (
	projectNames  = []string{"Falcon", "Aurora", "Borealis", "Nimbus", "Orion", "Phoenix", "Quasar", "Zephyr", "Atlas", "Kestrel", "Mistral", "Sirocco", "Tundra", "Vega", "Lynx", "Équinoxe", "Nordlys", "Sakura"}
	groupPurposes = []string{"Admins", "Readers", "Contributors", "App Access", "VPN Users", "License E5", "License E3", "MFA Exclusion", "Printers", "Wi-Fi", "Break Glass", "Reviewers"}
)
