
      export type PossibleTypesResultData = {
  "possibleTypes": {
    "CancelFineTuneResult": [
      "AuthenticationError",
      "FineTuneJob",
      "InvalidParameterError",
      "NotFoundError",
      "ThrottlingError",
      "UnsupportedOperationError",
      "UpstreamError"
    ],
    "CreateFineTuneResult": [
      "AuthenticationError",
      "ConflictError",
      "FineTuneJob",
      "InvalidParameterError",
      "ThrottlingError",
      "UpstreamError"
    ],
    "DeleteFineTuneResult": [
      "AuthenticationError",
      "DeletedFineTuneJob",
      "InvalidParameterError",
      "NotFoundError",
      "ThrottlingError",
      "UnsupportedOperationError",
      "UpstreamError"
    ],
    "Error": [
      "AuthenticationError",
      "ConflictError",
      "InvalidParameterError",
      "NotFoundError",
      "ThrottlingError",
      "UnsupportedOperationError",
      "UpstreamError"
    ],
    "ExportCheckpointResult": [
      "AuthenticationError",
      "FineTuneCheckpoint",
      "InvalidParameterError",
      "NotFoundError",
      "ThrottlingError",
      "UnsupportedOperationError",
      "UpstreamError"
    ],
    "FineTuneResult": [
      "AuthenticationError",
      "FineTuneJob",
      "InvalidParameterError",
      "NotFoundError",
      "ThrottlingError",
      "UpstreamError"
    ],
    "FineTunesResult": [
      "AuthenticationError",
      "InvalidParameterError",
      "JobConnection",
      "ThrottlingError",
      "UpstreamError"
    ],
    "Node": [
      "FineTuneJob"
    ]
  }
};
      const result: PossibleTypesResultData = {
  "possibleTypes": {
    "CancelFineTuneResult": [
      "AuthenticationError",
      "FineTuneJob",
      "InvalidParameterError",
      "NotFoundError",
      "ThrottlingError",
      "UnsupportedOperationError",
      "UpstreamError"
    ],
    "CreateFineTuneResult": [
      "AuthenticationError",
      "ConflictError",
      "FineTuneJob",
      "InvalidParameterError",
      "ThrottlingError",
      "UpstreamError"
    ],
    "DeleteFineTuneResult": [
      "AuthenticationError",
      "DeletedFineTuneJob",
      "InvalidParameterError",
      "NotFoundError",
      "ThrottlingError",
      "UnsupportedOperationError",
      "UpstreamError"
    ],
    "Error": [
      "AuthenticationError",
      "ConflictError",
      "InvalidParameterError",
      "NotFoundError",
      "ThrottlingError",
      "UnsupportedOperationError",
      "UpstreamError"
    ],
    "ExportCheckpointResult": [
      "AuthenticationError",
      "FineTuneCheckpoint",
      "InvalidParameterError",
      "NotFoundError",
      "ThrottlingError",
      "UnsupportedOperationError",
      "UpstreamError"
    ],
    "FineTuneResult": [
      "AuthenticationError",
      "FineTuneJob",
      "InvalidParameterError",
      "NotFoundError",
      "ThrottlingError",
      "UpstreamError"
    ],
    "FineTunesResult": [
      "AuthenticationError",
      "InvalidParameterError",
      "JobConnection",
      "ThrottlingError",
      "UpstreamError"
    ],
    "Node": [
      "FineTuneJob"
    ]
  }
};
      export default result;
    