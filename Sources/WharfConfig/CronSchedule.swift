import Foundation

/// A 5-field cron schedule (`minute hour day-of-month month day-of-week`), as the
/// OpenShift image pruner's `schedule` takes it; evaluated in UTC.
///
/// Each field: `*`, a number, a range `a-b`, a step `*/n` or `a-b/n`, or a comma list of
/// those. Day of week is 0-7 (0 and 7 are Sunday). As in cron, when both day fields are
/// restricted, a day matching either one fires.
///
/// ```swift
/// let nightly = try CronSchedule(parsing: "0 0 * * *")
/// nightly.next(after: Date())   // the coming midnight, UTC
/// ```
public struct CronSchedule: Equatable, Sendable, CustomStringConvertible {
    /// The schedule as written.
    public let description: String
    let minutes: Set<Int>
    let hours: Set<Int>
    let days: Set<Int>
    let months: Set<Int>
    let weekdays: Set<Int>
    let daysRestricted: Bool
    let weekdaysRestricted: Bool

    /// A parse failure, with the field at fault.
    public struct ParseError: Error, CustomStringConvertible {
        public var description: String
    }

    /// Parses `text`; throws ``ParseError`` naming what is wrong.
    public init(parsing text: String) throws {
        let fields = text.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard fields.count == 5 else {
            throw ParseError(description: "a cron schedule has 5 fields (minute hour day-of-month month day-of-week), got \(fields.count)")
        }
        description = fields.joined(separator: " ")
        minutes = try Self.field(fields[0], "minute", 0...59)
        hours = try Self.field(fields[1], "hour", 0...23)
        days = try Self.field(fields[2], "day of month", 1...31)
        months = try Self.field(fields[3], "month", 1...12)
        weekdays = Set(try Self.field(fields[4], "day of week", 0...7).map { $0 % 7 })
        daysRestricted = fields[2] != "*"
        weekdaysRestricted = fields[4] != "*"
    }

    private static func field(_ text: String, _ name: String, _ range: ClosedRange<Int>) throws -> Set<Int> {
        var values: Set<Int> = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let pieces = part.split(separator: "/", omittingEmptySubsequences: false)
            guard pieces.count <= 2 else { throw ParseError(description: "\(name): invalid '\(part)'") }
            var step = 1
            if pieces.count == 2 {
                guard let s = Int(pieces[1]), s > 0 else { throw ParseError(description: "\(name): invalid step in '\(part)'") }
                step = s
            }
            let bounds: ClosedRange<Int>
            if pieces[0] == "*" {
                bounds = range
            } else {
                let ends = pieces[0].split(separator: "-", omittingEmptySubsequences: false)
                guard ends.count <= 2, let low = Int(ends[0]), let high = Int(ends.last!), low <= high,
                      range.contains(low), range.contains(high) else {
                    throw ParseError(description: "\(name): '\(part)' is not within \(range.lowerBound)-\(range.upperBound)")
                }
                bounds = low...(pieces.count == 2 && ends.count == 1 ? range.upperBound : high)
            }
            values.formUnion(stride(from: bounds.lowerBound, through: bounds.upperBound, by: step))
        }
        return values
    }

    /// The first minute strictly after `date` that the schedule names; nil if none within
    /// eight years (e.g. `0 0 31 2 *`).
    public func next(after date: Date) -> Date? {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let start = calendar.dateInterval(of: .minute, for: date)!.start.addingTimeInterval(60)
        var c = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: start)
        let lastYear = c.year! + 8
        while c.year! <= lastYear {
            guard months.contains(c.month!) else {
                c.month! += 1; c.day = 1; c.hour = 0; c.minute = 0
                if c.month! > 12 { c.month = 1; c.year! += 1 }
                continue
            }
            guard let day = calendar.date(from: DateComponents(year: c.year, month: c.month, day: c.day)),
                  calendar.component(.month, from: day) == c.month else {
                c.month! += 1; c.day = 1; c.hour = 0; c.minute = 0
                if c.month! > 12 { c.month = 1; c.year! += 1 }
                continue
            }
            let weekday = calendar.component(.weekday, from: day) - 1
            let dayMatch = daysRestricted && weekdaysRestricted
                ? days.contains(c.day!) || weekdays.contains(weekday)
                : days.contains(c.day!) && weekdays.contains(weekday)
            guard dayMatch else { c.day! += 1; c.hour = 0; c.minute = 0; continue }
            guard hours.contains(c.hour!) else {
                c.hour! += 1; c.minute = 0
                if c.hour! > 23 { c.day! += 1; c.hour = 0 }
                continue
            }
            guard let minute = minutes.filter({ $0 >= c.minute! }).min() else {
                c.hour! += 1; c.minute = 0
                if c.hour! > 23 { c.day! += 1; c.hour = 0 }
                continue
            }
            c.minute = minute
            return calendar.date(from: c)
        }
        return nil
    }
}
