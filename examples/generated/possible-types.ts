
      export type PossibleTypesResultData = {
  "possibleTypes": {
    "Error": [
      "AuthenticationError",
      "InvalidParameterError",
      "NotFoundError",
      "ThrottlingError",
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
    ]
  }
};
      const result: PossibleTypesResultData = {
  "possibleTypes": {
    "Error": [
      "AuthenticationError",
      "InvalidParameterError",
      "NotFoundError",
      "ThrottlingError",
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
    ]
  }
};
      export default result;
    