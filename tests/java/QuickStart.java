// The quick start through a Java client that openapi-generator (library "native":
// java.net.http and Jackson) wrote from docs/openapi.json; tests/test_java_client.py generates
// the client, compiles it with this file and runs it against a live server.
//
// Arguments: a UTF-8 JSON file {"url": ..., "tokens": {login: token}, "application": {...}},
// then "http/1.1" or "jdk-default": the HTTP version the JDK's client is built with. The JDK's
// default offers cleartext HTTP/2 with "Upgrade: h2c" on every request, and uvicorn with
// httptools then loses the body of a POST (Kludex/uvicorn#2722): the quick start asks for
// HTTP/1.1, which is what the server speaks.
// Prints one line per step (UTF-8); exits non-zero when an answer is not what the spec says.

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import ogi.client.ApiClient;
import ogi.client.ApiException;
import ogi.client.api.ActionsApi;
import ogi.client.api.RequestsApi;
import ogi.client.model.Application;
import ogi.client.model.ApproveBody;
import ogi.client.model.ArchiveBody;
import ogi.client.model.Outcome;
import ogi.client.model.Problem;
import ogi.client.model.RegisterBody;
import ogi.client.model.ReplyBody;
import ogi.client.model.RequestView;
import ogi.client.model.ResponseEventsInner;
import ogi.client.model.StartHandlingBody;
import ogi.client.model.StartHandlingEvent;
import ogi.client.model.State;
import ogi.client.model.SubmitForReviewBody;
import ogi.client.model.SubmitForReviewEvent;

public final class QuickStart {
    private static final PrintStream OUT =
            new PrintStream(new FileOutputStream(FileDescriptor.out), true, StandardCharsets.UTF_8);

    private final String url;
    private final Map<String, String> tokens;
    private final boolean http11;

    private QuickStart(String url, Map<String, String> tokens, boolean http11) {
        this.url = url;
        this.tokens = tokens;
        this.http11 = http11;
    }

    /** The generated client, sending the token of {@code login} on every request. */
    private ApiClient as(String login) {
        String token = tokens.get(login);
        if (token == null) {
            throw new IllegalArgumentException("no token for " + login);
        }
        ApiClient client = new ApiClient();
        if (http11) {
            client.setHttpClientBuilder(
                    HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1));
        }
        client.updateBaseUri(url);
        client.setRequestInterceptor(request -> request.header("Authorization", "Bearer " + token));
        return client;
    }

    private ActionsApi actions(String login) {
        return new ActionsApi(as(login));
    }

    private static void step(String name, RequestView view) {
        OUT.println(name + " " + view.getState().getValue() + " v" + view.getVersion());
    }

    private static void expect(boolean condition, String what) {
        if (!condition) {
            throw new IllegalStateException("unexpected answer: " + what);
        }
    }

    private static LocalDate march(int day) {
        return LocalDate.of(2026, 3, day);
    }

    private static Object get(Object bean, String getter) throws ReflectiveOperationException {
        return bean.getClass().getMethod(getter).invoke(bean);
    }

    private void run(Application application) throws Exception {
        RequestView created =
                new RequestsApi(as("窗口")).receive(application, "quick-start-java-1");
        int rid = created.getId();
        OUT.println("id " + rid);
        step("receive", created);

        RequestView registered =
                actions("登记员").register(rid, new RegisterBody().on(march(2)), null, null);
        step("register", registered);
        OUT.println("reg_no " + registered.getRegNo() + " due " + registered.getDueDate());

        StartHandlingBody handle = new StartHandlingBody().on(march(2));
        step("start_handling", actions("李明").startHandling(rid, handle, null, null));
        SubmitForReviewBody submit = new SubmitForReviewBody()
                .outcome(Outcome.DISCLOSED)
                .details(Map.of("provided", "复制件1份"))
                .on(march(18));
        step("submit_for_review", actions("李明").submitForReview(rid, submit, null, null));
        for (String reviewer : List.of("审核员", "王主任")) {
            ApproveBody approve = new ApproveBody().opinion("同意").on(march(19));
            step("approve", actions(reviewer).approve(rid, approve, null, null));
        }
        RequestView replied =
                actions("李明").reply(rid, new ReplyBody().on(march(19)), null, null);
        step("reply", replied);
        expect(replied.getState() == State.REPLIED, "state after reply " + replied.getState());
        OUT.println("replied_on " + replied.getRepliedOn()
                + " outcome " + replied.getOutcome().getValue());
        RequestView archived =
                actions("登记员").archive(rid, new ArchiveBody().on(march(20)), null, null);
        step("archive", archived);
        expect(archived.getState() == State.ARCHIVED, "state after archive " + archived.getState());

        // A second archive is refused with a problem document (RFC 9457).
        try {
            actions("登记员").archive(rid, new ArchiveBody(), null, null);
            expect(false, "a second archive was accepted");
        } catch (ApiException refused) {
            ObjectMapper mapper = ApiClient.createDefaultObjectMapper();
            Problem problem = mapper.readValue(refused.getResponseBody(), Problem.class);
            OUT.println("archive again " + refused.getCode() + " " + problem.getStatus()
                    + " " + problem.getType());
        }

        // The log: one generated class per event type (the spec's discriminator), payloads typed.
        List<ResponseEventsInner> log = new RequestsApi(as("李明")).events(rid);
        for (ResponseEventsInner row : log) {
            Object event = row.getActualInstance();
            OUT.println("event " + get(event, "getSeq") + " " + event.getClass().getSimpleName()
                    + " " + get(get(event, "getEvent"), "getValue") + " " + get(event, "getActor")
                    + " " + get(get(event, "getStateAfter"), "getValue")
                    + " " + get(event, "getOn"));
        }
        StartHandlingEvent handling = (StartHandlingEvent) log.get(2).getActualInstance();
        OUT.println("handler " + handling.getPayload().getHandler());
        SubmitForReviewEvent submitted = (SubmitForReviewEvent) log.get(3).getActualInstance();
        OUT.println("submitted " + submitted.getPayload().getOutcome().getValue()
                + " " + submitted.getPayload().getDetails().get("provided"));
    }

    public static void main(String[] args) throws Exception {
        ObjectMapper mapper = ApiClient.createDefaultObjectMapper();
        JsonNode input = mapper.readTree(new File(args[0]));
        Map<String, String> tokens = mapper.convertValue(
                input.get("tokens"), new TypeReference<Map<String, String>>() {});
        Application application =
                mapper.convertValue(input.get("application"), Application.class);
        boolean http11 = switch (args[1]) {
            case "http/1.1" -> true;
            case "jdk-default" -> false;
            default -> throw new IllegalArgumentException("unknown HTTP version " + args[1]);
        };
        new QuickStart(input.get("url").asText(), tokens, http11).run(application);
    }
}
