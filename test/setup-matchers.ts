import 'cdktf/lib/testing/adapters/jest';
import { Testing } from 'cdktf';

// cdktf's property matchers (toHaveResource, toHaveResourceWithProperties, …).
Testing.setupJest();
