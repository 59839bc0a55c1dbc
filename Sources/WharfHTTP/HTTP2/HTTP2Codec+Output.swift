import Foundation

/// Responses: HEADERS at once, bodies as DATA frames within the peer's connection and
/// stream windows, streams served round-robin while the socket takes bytes.
extension HTTP2Codec {
    private static let connectionSpecific: Set<String> = ["connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade"]

    func respond(_ s: HTTP2Stream, _ response: HTTPResponse) {
        guard phase == .open, streams[s.id] === s, !s.responseStarted else { return }
        s.responseStarted = true
        s.lastProgress = .now()
        let status = response.status
        s.progress?.started(status: status)
        let isHead = s.method == "HEAD"
        let bodyAllowed = !isHead && status >= 200 && status != 204 && status != 304
        var isStream = false
        if case .stream = response.body { isStream = true }
        if !s.remoteEnded && !isStream { discard(s) }

        var fields: [(name: String, value: String)] = [(":status", String(status))]
        var hasDate = false
        let keepHandlerLength = isHead || status == 304
        for f in response.headers {
            let name = f.name.lowercased()
            if Self.connectionSpecific.contains(name) || name.hasPrefix(":") { continue }
            if name == "content-length" && (!keepHandlerLength || status == 204 || status < 200) { continue }
            if name == "date" { hasDate = true }
            let value = String(decoding: f.value.utf8.filter { $0 != 13 && $0 != 10 && $0 != 0 }, as: UTF8.self)
            fields.append((name, value))
        }
        if status >= 200 && status != 204 {
            if keepHandlerLength {
                if isHead, !response.headers.contains("Content-Length"), let n = response.body.knownLength, n > 0 {
                    fields.append(("content-length", String(n)))
                }
            } else if let n = response.body.knownLength {
                fields.append(("content-length", String(n)))
            }
        }
        if !hasDate { fields.append(("date", String(decoding: HTTPDate.now(), as: UTF8.self))) }

        var hasBody = bodyAllowed
        if bodyAllowed {
            switch response.body {
            case .empty: hasBody = false
            case .bytes(let d): hasBody = !d.isEmpty
            case .file(let region): hasBody = region.length > 0
            case .stream: hasBody = true
            }
        }
        let block = encoder.encode(fields)
        context.enqueue(.bytes(HTTP2FrameEncoder.headers(stream: s.id, block: block, endStream: !hasBody, maxFrameSize: peerMaxFrameSize)))
        if !hasBody {
            s.localEnded = true
            closeIfDone(s)
            context.flush()
            return
        }
        switch response.body {
        case .empty:
            break
        case .bytes(let d):
            s.pending = [d]
            s.pendingBytes = d.count
            s.endAfterPending = true
        case .file(let region):
            s.pendingFile = (region, region.offset, region.length)
            s.endAfterPending = true
        case .stream(let length, let producer):
            let streamID = s.id
            let writer = QueuedBodyWriter(queue: context.queue, declaredLength: length) { [weak self] data in
                self?.writeBody(streamID, data)
            }
            s.writer = writer
            let queue = context.queue
            let logger = context.logger
            let path = s.path
            Task {
                var failure: Error?
                do { try await producer(writer) } catch { failure = error }
                let outcome = failure
                queue.async { [weak self, weak s] in
                    guard let self, let s else { return }
                    self.streamEnded(s, writer: writer, failure: outcome, logger: logger, path: path)
                }
            }
        }
        pump()
        context.flush()
        // A stalled stream has a deadline now (I/O timeout): let the connection re-arm its timer.
        context.stateChanged()
    }

    /// Request body bytes still coming are dropped; their window goes back to the client.
    private func discard(_ s: HTTP2Stream) {
        s.discarding = true
        s.source.fail(RequestBodyError.truncated)
    }

    /// Queues streamed bytes on stream `id`; nil when the stream is gone, true when the producer should wait.
    func writeBody(_ id: UInt32, _ data: Data) -> Bool? {
        guard phase == .open, let s = streams[id], !s.localEnded else { return nil }
        s.pending.append(data)
        s.pendingBytes += data.count
        s.lastProgress = .now()
        pump()
        context.flush()
        return s.pendingBytes >= limits.bufferSize
    }

    private func streamEnded(_ s: HTTP2Stream, writer: QueuedBodyWriter, failure: Error?, logger: Logger, path: String) {
        guard streams[s.id] === s else { return }
        if let failure {
            logger.error("response stream failed", ["path": path, "error": "\(failure)"])
            s.progress?.failed = true
            streamError(s, .internalError)
            context.flush()
            return
        }
        if let declared = writer.declaredLength, writer.written != declared {
            logger.error("response stream shorter than its length", ["path": path])
            s.progress?.failed = true
            streamError(s, .internalError)
            context.flush()
            return
        }
        if !s.remoteEnded { discard(s) }
        s.endAfterPending = true
        pump()
        context.flush()
    }

    /// Moves DATA frames from streams to the output queue while the socket keeps up and
    /// windows allow: one frame per stream per round, round-robin.
    func pump() {
        guard phase == .open else { return }
        while context.bufferedOutputBytes < Int64(limits.bufferSize) {
            let ready = streams.values.filter { $0.hasOutput && ($0.outputBytes == 0 || (connectionSendWindow > 0 && $0.sendWindow > 0)) }
                .map(\.id).sorted()
            if ready.isEmpty { return }
            let order = ready.filter { $0 > lastServed } + ready.filter { $0 <= lastServed }
            for id in order {
                guard let s = streams[id], s.hasOutput else { continue }
                lastServed = id
                sendFrame(s)
                if context.bufferedOutputBytes >= Int64(limits.bufferSize) { break }
            }
        }
    }

    private func sendFrame(_ s: HTTP2Stream) {
        // Frames of at most 64 KiB whatever the peer allows: output stays near limits.bufferSize.
        let n = Int(min(Int64(min(peerMaxFrameSize, 65536, s.sendWindow, connectionSendWindow)), s.outputBytes))
        if n <= 0 && s.outputBytes > 0 { return }
        let payload: Data
        do {
            payload = try s.takeOutput(n)
        } catch {
            s.progress?.failed = true
            streamError(s, .internalError)
            return
        }
        s.progress?.bodyBytes += Int64(payload.count)
        s.sendWindow -= payload.count
        connectionSendWindow -= payload.count
        let end = s.endAfterPending && s.outputBytes == 0
        context.enqueue(.bytes(HTTP2FrameEncoder.dataHeader(stream: s.id, length: payload.count, endStream: end)))
        context.enqueue(.data(payload))
        s.lastProgress = .now()
        if s.pendingBytes < limits.bufferSize { s.writer?.resumeIfWaiting() }
        if end {
            s.localEnded = true
            closeIfDone(s)
        }
    }

    func outputProgressed(bufferedBytes: Int64) {
        lastOutputProgress = .now()
        pump()
        // We are inside the connection's flush: this makes it loop over what pump queued.
        context.flush()
    }
}
