import Foundation
import Testing
@testable import WharfStorage

/// The SharedKey and SAS signatures against vectors the official azure-storage-blob SDK
/// computed (its `SharedKeyCredentialPolicy.on_request` and `_BlobSharedAccessHelper`,
/// run once with the Azurite account and kept here).
@Suite struct AzureSharedKeySignerTests {
    static let azuriteKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="

    @Test func putBlockSignatureMatchesTheSDK() throws {
        let signer = try AzureSharedKeySigner(account: "devstoreaccount1", base64Key: Self.azuriteKey)
        let headers = ["x-ms-date": "Wed, 02 Dec 2026 19:00:00 GMT", "x-ms-version": "2021-08-06", "x-ms-blob-type": "BlockBlob",
                       "Content-Type": "application/octet-stream", "Content-Length": "11", "Host": "127.0.0.1:10000"]
        let auth = signer.authorization(method: "PUT", path: "/devstoreaccount1/registry/docker/registry/v2/data",
                                        query: [("comp", "block"), ("blockid", AzureWriter.blockID(1))], headers: headers)
        #expect(AzureWriter.blockID(1) == "d2hhcmYtYmxvY2stMDAwMDAwMDAwMQ==")
        #expect(auth == "SharedKey devstoreaccount1:FcqOpVVDnO02rk1IqqkJMBc3cpENtV7rdwFxIT8QgOM=")
    }

    @Test func readSASMatchesTheSDK() throws {
        let signer = try AzureSharedKeySigner(account: "devstoreaccount1", base64Key: Self.azuriteKey)
        let expiry = ISO8601DateFormatter().date(from: "2026-12-02T20:00:00Z")!
        let sas = signer.blobReadSAS(container: "registry", blob: "docker/registry/v2/data", expiry: expiry, version: "2021-08-06")
        #expect(sas.first { $0.0 == "se" }?.1 == "2026-12-02T20:00:00Z")
        #expect(sas.first { $0.0 == "sig" }?.1 == "PgXEUtwNU23r54OsTiQx33NvOgZJBwPgQEMvUOjaldU=")
    }

    @Test func aKeyThatIsNotBase64IsRefusedWithoutPrintingIt() {
        #expect { try AzureSharedKeySigner(account: "a", base64Key: "not base64 secret!") } throws: { error in
            !"\(error)".contains("not base64 secret!")
        }
    }
}
