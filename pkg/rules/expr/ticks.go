package expr

import "time"

// Dates are held as .NET ticks (100 ns since 0001-01-01 UTC) so the whole
// range Entra accepts (AD dates from 1601, years up to 9999) fits an int64
// and DateAdd/DateDiff can follow .NET arithmetic exactly.
const (
	ticksPerSecond   = 10_000_000
	unixEpochTicks   = 621_355_968_000_000_000 // 1970-01-01
	fileTimeEpoch    = 504_911_232_000_000_000 // 1601-01-01, origin of AD FILETIME
	maxTicks         = 3_155_378_975_999_999_999
	ticksPerDay      = 24 * 3600 * ticksPerSecond
	secondsPerDay    = 24 * 3600
	ticksPerMinute   = 60 * ticksPerSecond
	ticksPerHour     = 60 * ticksPerMinute
	nanosPerTick     = 100
	unixSecondsToMin = -62_135_596_800 // Unix seconds of 0001-01-01
)

func ticksOf(t time.Time) int64 {
	sec := t.Unix()
	switch {
	case sec < unixSecondsToMin:
		return 0
	case sec > (maxTicks-unixEpochTicks)/ticksPerSecond:
		return maxTicks
	}
	return unixEpochTicks + sec*ticksPerSecond + int64(t.Nanosecond())/nanosPerTick
}

func timeOfTicks(n int64) time.Time {
	d := n - unixEpochTicks
	sec, rem := d/ticksPerSecond, d%ticksPerSecond
	if rem < 0 {
		sec--
		rem += ticksPerSecond
	}
	return time.Unix(sec, rem*nanosPerTick).UTC()
}

func validTicks(n int64) bool { return n >= 0 && n <= maxTicks }

// formatDefaultDate renders the "M/d/yyyy h:mm:ss tt" form in which Entra
// returns CDate, DateAdd and Now results.
func formatDefaultDate(n int64) string {
	return timeOfTicks(n).Format("1/2/2006 3:04:05 PM")
}
