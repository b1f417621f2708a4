/*
    Intermediary: Power Fx for a canvas app
    =======================================

    Data source: the "Intermediary" custom connector (infra/connector/), with a connection that has a function key
    and the function app's host name. Operations used: ListItems, GetItem, StartJob, GetJob, CancelJob.

    Every operation returns the same record, the envelope:
        ok, status, code, message, source, retryable, retryAfterSeconds, attempts, durationMs, correlationId,
        data, upstream {status, contentType, code, message, requestId},
        job {id, status, statusUrl, createdAt, updatedAt, completedAt, expiresAt},
        cache {hit, coalesced, stale, ageSeconds}   (empty unless the service caches the path)
    Check ok first, branch on code, show message (it is written to be shown to users).

    Error mode: apps need body mode (the service's default): every answer is HTTP 200 and failures are told by
    ok = false and code. Do not ask for status mode here: a custom connector hides the body of a non-2xx answer, so
    the app would lose code, message and retryAfterSeconds.

    The item operations (ListItems, GetItem, CreateItem) are typed: their data is a table or record of items with
    id, name and price, so it is used directly. Generic and job answers hold the API's own JSON as an untyped
    (Dynamic) value: convert its fields with Text(), Value(), Boolean(), and lists with Table(). To send a record
    as a job's body, pass ParseJSON(JSON(record)).

    Each block below is one control property: paste the formula into the property named in its heading.
    Controls: btnLoad, galItems, lblStatus, tmrRetry, lblRetry, txtId, btnGetItem,
              txtName, txtPrice, btnStartJob, btnCancelJob, tmrPoll, lblJob.
*/


// ---------------------------------------------------------------------------------------------------------------
// App.OnStart
// ---------------------------------------------------------------------------------------------------------------
Set(varRetryCount, 0);          // retries of ListItems so far
Set(varRetryAfterMs, 5000);     // tmrRetry.Duration
Set(varRetryPending, false);    // tmrRetry.Start
Set(varJobId, "");              // the running job's id
Set(varPolling, false)          // tmrPoll.Start


// ---------------------------------------------------------------------------------------------------------------
// (a) Call, branch on ok / code, show message
//     btnLoad.OnSelect
// ---------------------------------------------------------------------------------------------------------------
Set(varResult, Intermediary.ListItems());
If(
    // Success: data is the table of items (typed by the connector), ready for a gallery.
    varResult.ok,
        ClearCollect(colItems, varResult.data);
        Set(varRetryCount, 0);
        // Where the service caches the list, it may answer with older data while the API is down: say so.
        If(
            !IsBlank(varResult.cache) && varResult.cache.stale,
            Notify("The API is not answering; showing data from " & varResult.cache.ageSeconds & " s ago.", NotificationType.Warning)
        ),

    // (b) Busy: the service already retried as long as it could and tells us how long to wait.
    //     Store retryAfterSeconds and let tmrRetry call this button again when the time is up (at most 3 times).
    varResult.code in ["RateLimited", "ServiceUnavailable"] && varResult.retryable && varRetryCount < 3,
        Set(varRetryAfterMs, Coalesce(varResult.retryAfterSeconds, 5) * 1000);
        Set(varRetryCount, varRetryCount + 1);
        Notify(
            varResult.message & " Trying again in " & varRetryAfterMs / 1000 & " seconds.",
            NotificationType.Warning
        );
        Set(varRetryPending, true),

    // Every other failure: pick what to say by code. message is always safe to show.
    Switch(
        varResult.code,
        "Unauthenticated",
            Notify("This app's connection to Intermediary needs a valid function key. " & varResult.message, NotificationType.Error),
        "QuotaExceeded",
            Notify("The API's call quota is used up: " & varResult.message, NotificationType.Error),
        "Timeout",
            Notify("The API did not answer in time. Please try again later.", NotificationType.Error),
        "TokenAcquisitionFailed",
            Notify("The service could not sign in to the API (" & varResult.upstream.code & "). Please tell the support team.", NotificationType.Error),
        // Default: the message plus the correlation id, which support needs to find the request in the logs.
        Notify(
            varResult.message & " (" & varResult.code & ", reference " & varResult.correlationId & ")",
            NotificationType.Error
        )
    )
)


// galItems.Items
colItems


// lblStatus.Text: what really happened on the last call (handy while building the app)
If(
    IsBlank(varResult),
    "",
    varResult.code & " (HTTP " & varResult.status & ")" &
    If(IsBlank(varResult.source), "", " from " & varResult.source) &
    " · " & varResult.attempts & " attempt(s) in " & varResult.durationMs & " ms" &
    If(IsBlank(varResult.upstream), "", " · API answered " & varResult.upstream.status & " " & varResult.upstream.contentType) &
    If(IsBlank(varResult.upstream.message), "", " · " & varResult.upstream.message) &
    If(IsBlank(varResult.upstream.requestId), "", " · API request " & varResult.upstream.requestId) &
    If(IsBlank(varResult.cache), "", If(varResult.cache.hit, " · from cache, " & varResult.cache.ageSeconds & " s old", "") &
        If(varResult.cache.coalesced, " · shared with an identical call", "")) &
    " · reference " & varResult.correlationId
)


// One item; an unknown id is code NotFound, not an error the app has to trap.
// btnGetItem.OnSelect
Set(varItem, Intermediary.GetItem(txtId.Text));
If(
    varItem.ok,
        Notify(varItem.data.name & " costs " & Text(varItem.data.price, "0.00"), NotificationType.Success),
    varItem.code = "NotFound",
        Notify("There is no item " & txtId.Text & ".", NotificationType.Warning),
    Notify(varItem.message, NotificationType.Error)
)


// ---------------------------------------------------------------------------------------------------------------
// (b) Wait retryAfterSeconds, then retry: a Timer started by btnLoad.OnSelect above
//     tmrRetry: Duration = varRetryAfterMs   Start = varRetryPending   Repeat = false   AutoStart = false
//               Visible = false
// ---------------------------------------------------------------------------------------------------------------

// tmrRetry.Duration
varRetryAfterMs

// tmrRetry.Start
varRetryPending

// tmrRetry.OnTimerEnd
Set(varRetryPending, false);
Select(btnLoad)

// lblRetry.Text: a countdown while the app waits
If(varRetryPending, "Busy, retrying in " & RoundUp((varRetryAfterMs - tmrRetry.Value) / 1000, 0) & " s", "")


// ---------------------------------------------------------------------------------------------------------------
// (c) Start a job, then poll it with a Timer until it has ended
//     A job runs the API call in the background: for work longer than a connector call may take (~2 minutes).
// ---------------------------------------------------------------------------------------------------------------

// btnStartJob.OnSelect
Set(
    varJob,
    Intermediary.StartJob(
        "demo",
        {
            method: "POST",
            path: "/items",
            // body takes any JSON: turn the record into an untyped value
            body: ParseJSON(JSON({name: txtName.Text, price: Value(txtPrice.Text)}))
        }
    )
);
If(
    varJob.ok,
        // code is "Accepted" and job.status "queued"; keep the id, start polling
        Set(varJobId, varJob.job.id);
        Set(varPolling, true);
        Notify("Job started; it is " & varJob.job.status & ".", NotificationType.Information),
    // The job was not started (e.g. PathNotAllowed, PayloadTooLarge, NotFound for an unknown upstream)
    Notify(varJob.message, NotificationType.Error)
)


// tmrPoll: Duration = 5000   Repeat = true   AutoStart = false   Start = varPolling   Visible = false

// tmrPoll.Duration
5000

// tmrPoll.Start
varPolling

// tmrPoll.OnTimerEnd
Set(varJob, Intermediary.GetJob(varJobId));
If(
    // Ended: stop the timer, then show the result of the job's API call (data) or why it failed (message).
    varJob.job.status in ["succeeded", "failed", "canceled"],
        Set(varPolling, false);
        If(
            varJob.ok,
                Notify("Created item " & Text(varJob.data.id) & " (" & Text(varJob.data.name) & ").", NotificationType.Success),
            varJob.code = "JobCanceled",
                Notify("The job was canceled.", NotificationType.Warning),
            Notify(varJob.message & " (" & varJob.code & ")", NotificationType.Error)
        ),

    // No job state at all: JobNotFound (unknown or expired id) or the poll itself failed (e.g. Unauthenticated).
    IsBlank(varJob.job),
        Set(varPolling, false);
        Notify(varJob.message, NotificationType.Error)

    // Otherwise job.status is queued or running (ok true, code "Accepted"): the timer polls again.
)


// btnCancelJob.OnSelect: a queued job never runs; a running one is asked to stop (polling shows the outcome)
Set(varCancel, Intermediary.CancelJob(varJobId));
If(
    varCancel.code = "Conflict",
        Notify("The job has already ended.", NotificationType.Information),
    !varCancel.ok && varCancel.code <> "JobCanceled",
        Notify(varCancel.message, NotificationType.Error)
)


// btnCancelJob.DisplayMode
If(varPolling, DisplayMode.Edit, DisplayMode.Disabled)


// lblJob.Text
If(
    IsBlank(varJobId),
    "No job yet",
    "Job " & varJobId & ": " & varJob.job.status &
    " · started " & Text(varJob.job.createdAt, DateTimeFormat.ShortTime) &
    " · updated " & Text(varJob.job.updatedAt, DateTimeFormat.ShortTime) &
    If(IsBlank(varJob.job.completedAt), "", " · ended " & Text(varJob.job.completedAt, DateTimeFormat.ShortTime)) &
    " · kept until " & Text(varJob.job.expiresAt, DateTimeFormat.ShortDateTime) &
    " · polls " & varJob.job.statusUrl
)
