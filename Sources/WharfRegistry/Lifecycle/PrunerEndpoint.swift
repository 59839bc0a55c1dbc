import Foundation
import WharfAPI
import WharfHTTP

/// `GET /extensions/v2/pruner`: the scheduled pruner's settings and its latest runs (every
/// replica's, from storage: ``PruneHistory``), as
/// OpenShift's image pruner keeps them (`successfulJobsHistoryLimit` and
/// `failedJobsHistoryLimit`, 3 each), newest first. The route needs the admin access
/// (`registry-admin` bound on every project) when auth is on.
///
/// ```json
/// {"enabled":true,"suspend":false,"schedule":"0 0 * * *","keepTagRevisions":3,"keepYoungerThan":"3600s",
///  "dryRun":false,"successfulJobsHistoryLimit":3,"failedJobsHistoryLimit":3,
///  "successful":[{"started":"...","finished":"...","succeeded":true,"revisions":2,"size":4096}],"failed":[]}
/// ```
public struct PrunerEndpoint: Sendable {
    struct Body: Encodable {
        var enabled: Bool
        var suspend: Bool
        var schedule: String?
        var keepTagRevisions: Int?
        var keepYoungerThan: String?
        var dryRun: Bool?
        var successfulJobsHistoryLimit: Int
        var failedJobsHistoryLimit: Int
        var successful: [PruneSchedule.Run]
        var failed: [PruneSchedule.Run]
    }

    /// The running schedule; nil when pruning is off.
    let schedule: PruneSchedule?
    /// The cron text, for the answer.
    let scheduleText: String?

    public init(schedule: PruneSchedule?, scheduleText: String?) {
        self.schedule = schedule
        self.scheduleText = scheduleText
    }

    /// The handler (access is checked by the auth middleware, from the route table).
    public var handler: HTTPHandler {
        let endpoint = self
        return { _ in await endpoint.response() }
    }

    func response() async -> HTTPResponse {
        var body = Body(enabled: schedule != nil, suspend: false, successfulJobsHistoryLimit: 3, failedJobsHistoryLimit: 3,
                        successful: [], failed: [])
        if let schedule {
            let settings = schedule.settings
            let history = await schedule.sharedHistory()
            body.suspend = settings.suspend
            body.schedule = scheduleText
            body.keepTagRevisions = settings.options.keepTagRevisions
            body.keepYoungerThan = "\(Int(settings.options.keepYoungerThan))s"
            body.dryRun = !settings.options.confirm
            body.successfulJobsHistoryLimit = settings.successfulJobsHistoryLimit
            body.failedJobsHistoryLimit = settings.failedJobsHistoryLimit
            body.successful = history.successful
            body.failed = history.failed
        }
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys]
        let data = (try? encoder.encode(body)) ?? Data("{}".utf8)
        return HTTPResponse(status: 200, headers: ["Content-Type": "application/json; charset=utf-8"], body: .bytes(data))
    }
}
