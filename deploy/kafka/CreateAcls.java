// Grants Kafka ACLs through Kafka's own Admin API (kafka-clients, on the embedded broker's
// classpath), for the embedded broker's secured listener (polku/stack/kafka_secure.py).
// Kafka 4 ships its AclCommand in kafka-tools, which the embedded broker does not fetch.
//
// java -cp '<lib>/*' CreateAcls.java <bootstrap> <principal>|<resource type>|<pattern>|<name>|<operation> ...
// e.g. 'User:referral|TOPIC|LITERAL|polku.referral.v1|WRITE' (allow, any host)

import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;

public class CreateAcls {
    public static void main(String[] args) throws Exception {
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "15000");
        List<AclBinding> bindings = new ArrayList<>();
        for (int i = 1; i < args.length; i++) {
            String[] f = args[i].split("\\|", -1);
            if (f.length != 5) {
                throw new IllegalArgumentException("not principal|type|pattern|name|operation: " + args[i]);
            }
            bindings.add(new AclBinding(
                new ResourcePattern(ResourceType.valueOf(f[1]), f[3], PatternType.valueOf(f[2])),
                new AccessControlEntry(f[0], "*", AclOperation.valueOf(f[4]), AclPermissionType.ALLOW)));
        }
        try (Admin admin = Admin.create(props)) {
            admin.createAcls(bindings).all().get();
        }
        System.out.println("created " + bindings.size() + " ACLs");
    }
}
